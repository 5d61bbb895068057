#!/usr/bin/env python3
"""Differential check of our Jinja parser and analysis against Jinja2 itself (a development tool).

Mutates the fixture templates (bit flips, token insertions, splices, truncation), then for each
case compares (1) whether Jinja2 (transformers' environment) parses it with whether our parser
does, and (2) when Jinja2's AST has an attribute, subscript or attr() access to a `_` name, that
our analysis says `unsafe`. Needs jinja2 and a build (`npx tsc -b packages/scanner`).

Run: python3 packages/scanner/test/jinja/diff_jinja2.py [cases] [seed]
"""
import json
import os
import random
import subprocess
import sys

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
DIST = os.path.abspath(os.path.join(HERE, "..", "..", "dist", "jinja"))
TOKENS = ["{{", "}}", "{%", "%}", "{#", "#}", "-", "+", "(", ")", "[", "]", "{", "}", "'", '"', "\\", "|", ".", ",", ":", "~",
          " if ", " else ", " endif ", " for x in ", " endfor ", " set ", " is ", " not ", " in ", "\n", " ", "0x", "1_0", ".5",
          "e3", "*", "**", "//", "=", "==", "raw", "endraw", "\r", "\t", "_", "__", "'_'", "|attr(", ".__", "|join", "|format(",
          "%c", "95", "[::-1]", "|reverse", "{% set a = ", "{{ a }}", "é", "\u309b", "\u0663", "\x1c", "\x85", "\u2028", "\ufeff"]


class AssistantTracker(Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_n"), [], [], body).set_lineno(lineno)


def mutate(corpus, rnd):
    s = rnd.choice(corpus)
    for _ in range(rnd.randint(1, 4)):
        pos = rnd.randint(0, len(s))
        op = rnd.randint(0, 4)
        if op == 0 and s:
            i = rnd.randrange(len(s))
            s = s[:i] + chr(ord(s[i]) ^ (1 << rnd.randint(0, 6))) + s[i + 1:]
        elif op == 1:
            s = s[:pos]
        elif op == 2:
            o = rnd.choice(corpus)
            a = rnd.randint(0, len(o))
            s = s[:pos] + o[a:a + rnd.randint(0, 200)]
        elif op == 3:
            s = s[:pos] + s[pos + rnd.randint(0, 30):]
        else:
            s = s[:pos] + rnd.choice(TOKENS) + s[pos:]
    return s


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    fx = os.path.join(HERE, "fixtures")
    corpus = [open(os.path.join(fx, f), encoding="utf-8").read() for f in sorted(os.listdir(fx)) if f.endswith(".jinja")]
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols, "jinja2.ext.do"])
    cases = []
    for _ in range(n):
        src = mutate(corpus, rnd)
        try:
            ast = env.parse(src)
            ok, bad = True, False
            bad = any(x.attr.startswith("_") for x in ast.find_all(nodes.Getattr))
            bad = bad or any(isinstance(x.arg, nodes.Const) and isinstance(x.arg.value, str) and x.arg.value.startswith("_") for x in ast.find_all(nodes.Getitem))
            bad = bad or any(x.name == "attr" and x.args and isinstance(x.args[0], nodes.Const) and str(x.args[0].value).startswith("_") for x in ast.find_all(nodes.Filter))
        except jinja2.TemplateSyntaxError:
            ok, bad = False, False
        except RecursionError:
            continue
        except Exception:  # e.g. ValueError for integer literals over Python's digit limit: not loadable
            ok, bad = False, False
        cases.append({"src": src, "ok": ok, "bad": bad})
    js = f"""
import {{ parseTemplate }} from '{DIST}/parser.js';
import {{ analyzeTemplate }} from '{DIST}/analyze.js';
import fs from 'node:fs';
const cases = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = cases.map((c) => {{
  let ok = true;
  try {{ parseTemplate(c.src); }} catch (e) {{ ok = e.name === 'TemplateSyntaxError' ? false : e.name; }}
  const unsafe = analyzeTemplate(c.src).issues.some((i) => i.verdict === 'unsafe');
  return {{ ok, unsafe }};
}});
process.stdout.write(JSON.stringify(out));
"""
    res = subprocess.run(["node", "--input-type=module", "-e", js], input=json.dumps(cases), capture_output=True, text=True, check=True)
    ours = json.loads(res.stdout)
    parse_mismatch = [(c, o) for c, o in zip(cases, ours) if c["ok"] != o["ok"]]
    missed = [c for c, o in zip(cases, ours) if c["bad"] and not o["unsafe"]]
    print(f"{len(cases)} cases, jinja2 {jinja2.__version__}: {len(parse_mismatch)} parse mismatches, {len(missed)} missed escapes")
    for c, o in parse_mismatch[:10]:
        print("PARSE", "jinja2" if c["ok"] else "ours", "accepts:", repr(c["src"][:300]))
    for c in missed[:10]:
        print("MISSED", repr(c["src"][:300]))
    sys.exit(1 if parse_mismatch or missed else 0)


if __name__ == "__main__":
    main()
