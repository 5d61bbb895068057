/** The kinds of personal data the PII scanner recognizes; also the fields of a dataset's `pii` counts. */
export const PII_KINDS = ['email', 'phone', 'ssn', 'creditCard', 'iban', 'ipv4', 'ipv6'] as const;
export type PiiKind = (typeof PII_KINDS)[number];
