#!/usr/bin/env bash
# List every error and warning message panim can print, with file:line, so that
# docs/TROUBLESHOOTING.md can be written from it and checked against it.
#
#   tools/gen_errors.sh                 one line per message: FILE:LINE <TAB> KIND <TAB> FORMAT
#   tools/gen_errors.sh --fragments     the same plus <TAB> FRAGMENT (what --check looks for)
#   tools/gen_errors.sh --check DOC     exit 1 and list the messages whose fragment is not in DOC
#
# What counts as a message: the printf format (adjacent string literals joined, PRIu64 and
# friends read as %d) of every call in src/ to
#   pa_log_error / pa_log_warn       KIND error / warning   ("panim: error: [module] ...")
#   fprintf(stderr, ...)             KIND stderr            (commands' own messages)
#   rd_error, arg_error, pa_config_set_error, fail (config_value.c)   KIND config
#   op_fail, node_fail, pa_fb_fail   KIND model             (a .tflite file the loader refuses)
#   pa_control_error, send_error, `*msg = "..."` in control.c   KIND http (control API replies)
#   report(d, ST_FAIL / ST_WARN, ...) in cmd_doctor.c       KIND doctor
#
# Matching rule (--check): the format is cut at every printf conversion (%s, %d, %.1f, %zu,
# ...; %% too); the FRAGMENT is the longest piece, trimmed of spaces and of the punctuation
# . , : ; at its ends. It must appear verbatim (case-sensitive) somewhere in DOC. Formats
# whose fragment is shorter than 6 characters (pure forwarders such as "%s" or "%s: %s")
# are listed with KIND forward and not checked: the messages they forward are checked where
# they are built.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import os, re, sys

CALLS = {  # function -> KIND
    "pa_log_error": "error", "pa_log_warn": "warning",
    "rd_error": "config", "arg_error": "config", "pa_config_set_error": "config",
    "op_fail": "model", "node_fail": "model", "pa_fb_fail": "model",
    "pa_control_error": "http", "send_error": "http", "fprintf": "stderr", "report": "doctor",
    "fail": "config",
}
ONLY_IN = {"report": "src/app/cmd_doctor.c", "fail": "src/app/config_value.c",
           "send_error": "src/app/control.c"}
TERNARY = re.compile(r'^[^"]*\?\s*("(?:[^"\\]|\\.)*")\s*:\s*("(?:[^"\\]|\\.)*")$', re.S)
MIN_FRAG = 6
CONV = re.compile(r"%[-+ #0]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|z|j|t|L)?[diouxXeEfgGcsp%]")

def strip_comments(src):
    """Blank out comments (keeping newlines) so line numbers stay right."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1]); i = j + 1
        elif src.startswith("//", i):
            j = src.find("\n", i); j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2); j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j])); i = j
        else:
            out.append(c); i += 1
    return "".join(out)

def split_args(src, i):
    """src[i] is '('; return (list of argument texts, index after ')')."""
    depth, args, cur, j, n = 0, [], [], i, len(src)
    while j < n:
        c = src[j]
        if c == '"' or c == "'":
            k = j + 1
            while k < n and src[k] != c:
                k += 2 if src[k] == "\\" else 1
            cur.append(src[j:k + 1]); j = k + 1; continue
        if c in "([{":
            depth += 1
            if depth == 1 and c == "(":
                j += 1; continue
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip()); return args, j + 1
        elif c == "," and depth == 1:
            args.append("".join(cur).strip()); cur = []; j += 1; continue
        cur.append(c); j += 1
    return args, n

ESC = {"n": "\n", "t": "\t", '"': '"', "'": "'", "\\": "\\", "r": "\r", "0": "\0"}

def literal(arg):
    """The joined string literals of an argument, or None when it is not a literal."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|(\bPRI[diuxX](?:8|16|32|64)\b)', arg)
    rest = re.sub(r'"(?:[^"\\]|\\.)*"|\bPRI[diuxX](?:8|16|32|64)\b', "", arg).strip()
    if not parts or rest:
        return None
    s = "".join("d" if m else p for p, m in parts)
    return re.sub(r"\\(.)", lambda m: ESC.get(m.group(1), m.group(1)), s)

def fragment(fmt):
    best = max(CONV.split(fmt.replace("\n", " ")), key=len).strip()
    best = best.strip(" .,:;").strip()
    return best

def entry(path, line, kind, fmt):
    fmt = fmt.rstrip("\n")
    frag = fragment(fmt)
    return (path, line, "forward" if len(frag) < MIN_FRAG else kind, fmt, frag)

def messages():
    out = []
    for root, dirs, files in os.walk("src"):
        dirs.sort()
        for fn in sorted(files):
            if not fn.endswith((".c", ".h", ".inc")):
                continue
            path = os.path.join(root, fn)
            src = strip_comments(open(path, encoding="utf-8").read())
            for m in re.finditer(r"\b(%s)\s*\(" % "|".join(CALLS), src):
                name = m.group(1)
                if ONLY_IN.get(name, path) != path:
                    continue
                # Skip definitions and prototypes: a type word right before the name.
                before = src[max(0, m.start() - 40):m.start()]
                if re.search(r"\b(int|void|static|char)\s*\**\s*$", before):
                    continue
                args, _ = split_args(src, m.end() - 1)
                kind = CALLS[name]
                if name == "fprintf":
                    if not args or args[0] != "stderr":
                        continue
                if name == "report":
                    if len(args) < 2 or args[1] == "ST_OK":
                        continue
                # The format is the first literal argument; report(d, st, "check", FMT) and
                # pa_log_*("module", FMT) have a literal before it.
                skip = 3 if name == "report" else 1 if name.startswith("pa_log") else 0
                fmts = []
                for a in args[skip:]:
                    t = TERNARY.match(a)
                    if t:  # cond ? "a" : "b": both are messages
                        fmts = [literal(t.group(1)), literal(t.group(2))]
                        break
                    f = literal(a)
                    if f is not None:
                        fmts = [f]
                        break
                line = src.count("\n", 0, m.start()) + 1
                for fmt in fmts:
                    out.append(entry(path, line, kind, fmt))
            if path == "src/app/control.c":
                for m in re.finditer(r'^[ \t]*\*msg\s*=\s*([^;]*);', src, re.M):
                    line = src.count("\n", 0, m.start()) + 1
                    t = TERNARY.match(m.group(1))
                    for f in [t.group(1), t.group(2)] if t else [m.group(1)]:
                        if literal(f) is not None:
                            out.append(entry(path, line, "http", literal(f)))
    return out

def main(argv):
    msgs = messages()
    if argv[:1] == ["--check"]:
        doc = open(argv[1], encoding="utf-8").read()
        missing = [m for m in msgs if m[2] != "forward" and m[4] not in doc]
        for p, l, k, f, fr in missing:
            print("%s:%d: %s message not in %s: %r (looked for %r)" % (p, l, k, argv[1], f, fr))
        checked = sum(1 for m in msgs if m[2] != "forward")
        print("%d messages checked, %d forwarders skipped, %d missing"
              % (checked, len(msgs) - checked, len(missing)))
        return 1 if missing else 0
    for p, l, k, f, fr in msgs:
        f = f.replace("\n", "\\n").replace("\t", "\\t")
        print("%s:%d\t%s\t%s%s" % (p, l, k, f, "\t" + fr if argv[:1] == ["--fragments"] else ""))
    return 0

sys.exit(main(sys.argv[1:]))
PY
