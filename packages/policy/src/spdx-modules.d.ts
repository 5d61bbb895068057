declare module 'spdx-satisfies' {
  /** True when the SPDX expression is satisfied by the approved simple license ids. Throws on invalid input. */
  function satisfies(expression: string, approved: string[]): boolean;
  export default satisfies;
}
