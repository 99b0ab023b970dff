# edit_manifest SRC DST EDIT...: writes SRC with the edits to DST, line by line, and fails
# unless each edit changed exactly one line. EDIT... is a list of triples FIELD FROM TO:
#   hostPath  FROM TO: a line `path: FROM` becomes `path: TO`
#   mountPath FROM TO: a line `mountPath: FROM` becomes `mountPath: TO`
#     (YAML or JSON: indentation, a list dash, a quoted key, a quoted value and a trailing
#     comma are kept)
#   --FLAG    FROM TO: the word `--FLAG=FROM` or `--FLAG FROM` (not followed by a path
#     character) becomes `--FLAG=TO` / `--FLAG TO`
# Values are compared as plain strings (never as patterns). plan::ApplyEdits (plan.h) is
# the same edit in C++; tests/unit/plan runs this function and compares.
edit_manifest() {
  (
    src=$1
    dst=$2
    shift 2
    n=0
    while [ "$#" -ge 3 ]; do
      n=$((n + 1))
      export "ETCDRESTORE_EDIT_FIELD_$n=$1" "ETCDRESTORE_EDIT_FROM_$n=$2" "ETCDRESTORE_EDIT_TO_$n=$3"
      shift 3
    done
    [ "$#" -eq 0 ] || { echo "edit_manifest: the edits are not triples" >&2; exit 1; }
    ETCDRESTORE_EDITS=$n awk '
      function pathchar(c) { return c ~ /[A-Za-z0-9\/._-]/ }
      function blank(c) { return c == " " || c == "\t" }
      # key_line(line, key, value): the position of value when line is `key: value`, else 0.
      function key_line(line, key, value,    i, qk, q, at) {
        i = 1
        while (blank(substr(line, i, 1))) i++
        if (substr(line, i, 2) == "- ") i += 2
        qk = substr(line, i, 1) == "\""
        if (qk) i++
        if (substr(line, i, length(key)) != key) return 0
        i += length(key)
        if (qk) { if (substr(line, i, 1) != "\"") return 0; i++ }
        if (substr(line, i, 1) != ":") return 0
        i++
        while (blank(substr(line, i, 1))) i++
        q = substr(line, i, 1)
        if (q != "\"" && q != "'\''") q = ""
        if (q != "") i++
        if (substr(line, i, length(value)) != value) return 0
        at = i
        i += length(value)
        if (q != "") { if (substr(line, i, 1) != q) return 0; i++ }
        if (substr(line, i, 1) == ",") i++
        while (blank(substr(line, i, 1)) || substr(line, i, 1) == "\r") i++
        return i > length(line) ? at : 0
      }
      # flag_words(line, flag, from, to): line with every `flag=from` / `flag from` word
      # replaced; sets changed.
      function flag_words(line, flag, from, to,    f, sep, word, out, rest, p, next_char) {
        for (f = 1; f <= 2; f++) {
          sep = f == 1 ? "=" : " "
          word = flag sep from
          out = ""
          rest = line
          while ((p = index(rest, word)) > 0) {
            next_char = substr(rest, p + length(word), 1)
            if (next_char != "" && pathchar(next_char)) {
              out = out substr(rest, 1, p + length(word) - 1)
            } else {
              out = out substr(rest, 1, p - 1) flag sep to
              changed = 1
            }
            rest = substr(rest, p + length(word))
          }
          line = out rest
        }
        return line
      }
      BEGIN {
        n = ENVIRON["ETCDRESTORE_EDITS"] + 0
        for (e = 1; e <= n; e++) {
          field[e] = ENVIRON["ETCDRESTORE_EDIT_FIELD_" e]
          from[e] = ENVIRON["ETCDRESTORE_EDIT_FROM_" e]
          to[e] = ENVIRON["ETCDRESTORE_EDIT_TO_" e]
          count[e] = 0
        }
      }
      {
        line = $0
        for (e = 1; e <= n; e++) {
          if (substr(field[e], 1, 2) == "--") {
            changed = 0
            line = flag_words(line, field[e], from[e], to[e])
            if (changed) count[e]++
          } else {
            key = field[e] == "hostPath" ? "path" : "mountPath"
            at = key_line(line, key, from[e])
            if (at > 0) {
              line = substr(line, 1, at - 1) to[e] substr(line, at + length(from[e]))
              count[e]++
            }
          }
        }
        print line
      }
      END {
        bad = 0
        for (e = 1; e <= n; e++) {
          if (count[e] != 1) {
            printf "edit %s %s -> %s: %d lines match (want exactly 1)\n", field[e], from[e], to[e], count[e] > "/dev/stderr"
            bad = 1
          }
        }
        exit bad
      }' "$src" > "$dst"
  )
}
