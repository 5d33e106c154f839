#!/usr/bin/env bash
# Benchmark: for each size, time DuckDB alone loading the generated exports
# (the floor) and `sessionaudit audit` end to end on the same files, and
# report wall time, the audit/floor ratio and peak RSS.
#
# Usage: bench/run.sh [--sizes "100000 1000000 10000000"] [--repeat N] [--work DIR] [--no-readme]
#                     [--readme FILE] [--memory-limit 2GB] [--format bulk|bulk-gz|json]
#                     [--findings-1m | --untrusted-vpn | --skew]
#   --sizes          logins per run (10 sessions and 1 user per 100 logins)
#   --repeat         runs of the floor and the audit per size, taken in turn (default 3); a size's
#                    row gives the median time of each and the highest peak RSS
#   --work           where inputs are generated (reused when present) and outputs go; default bench/work
#   --no-readme      print the rows without appending them to README.md's Performance table
#   --readme         the README whose Performance table gets the rows (default: the repository's)
#   --memory-limit   DuckDB's memory limit for the floor and the audit (default 2GB)
#   --format         the exports to write and read: Bulk CSV (default), the same gzipped, or REST
#                    JSON pages of 2,000 records (the floor then reads them with read_json)
#   --findings-1m    instead, audit the 10M-login org with bench/findings-1m-policy.yaml (some 1.3M
#                    findings) and print the findings, wall time and peak RSS; never touches README.md
#   --untrusted-vpn  instead, audit the 50M-login org with bench/untrusted-vpn-policy.yaml, which
#                    leaves the VPN that nearly every user shares untrusted, and print the same
#   --skew           instead, audit copies of the 1M-login org in which one user, then one IP,
#                    has an eighth, a quarter, half and all of the logins (and sessions), and
#                    print each audit's time, the checks' and the slowest steps': a check
#                    quadratic in one user's or one IP's rows would show as a fourfold step
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
root=$(pwd)
# A relative --work or --readme is the caller's, as any command's is.
abs() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$caller" "$1" ;; esac; }
sizes="100000 1000000 10000000"
repeat=3
work="$root/bench/work"
readme=1
readme_file="$root/README.md"
format=bulk
memory_limit=2GB
special="" # findings-1m or untrusted-vpn
usage() { echo "bench/run.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes|--repeat|--work|--format|--memory-limit|--readme)
      [ $# -ge 2 ] || usage "$1 needs a value" ;;
  esac
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --work) work=$(abs "$2"); shift 2 ;;
    --no-readme) readme=0; shift ;;
    --readme) readme_file=$(abs "$2"); shift 2 ;;
    --format) format="$2"; shift 2 ;;
    --memory-limit) memory_limit="$2"; shift 2 ;;
    --findings-1m) special=findings-1m; shift ;;
    --untrusted-vpn) special=untrusted-vpn; shift ;;
    --skew) special=skew; shift ;;
    *) usage "unknown option $1" ;;
  esac
done
# Checked before anything is built or generated: a bad value would otherwise
# fail late, or (--repeat 0) append a row without times to the README.
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || usage "--repeat $repeat: want a whole number of runs, at least 1"
[ -n "${sizes// /}" ] || usage "--sizes is empty"
for n in $sizes; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || usage "--sizes: $n is not a number of logins, at least 1"
done
case "$format" in bulk|bulk-gz|json) ;; *) usage "--format $format: want bulk, bulk-gz or json" ;; esac
# The rows go under the header of the README's results table, and its line
# of dashes: without them no row could be added, which would only show when
# the benchmark is done.
table_header='^\| date \(UTC\) \| logins \|'
if [ "$readme" = 1 ] && [ -z "$special" ]; then
  [ -f "$readme_file" ] || usage "no README at $readme_file (or give --no-readme)"
  [ "$(grep -cE "$table_header" "$readme_file")" = 1 ] ||
    usage "$readme_file has no results table (a line '| date (UTC) | logins | …'), or more than one: no row could be added"
fi
export PATH="$PATH:/usr/local/go/bin"
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time for peak RSS" >&2
  (apt-get update -qq && apt-get install -y -qq time) >/dev/null
fi
mkdir -p "$work/bin"
echo "building sessionaudit and the floor program" >&2
go build -tags duckdb_arrow -o "$work/bin/sessionaudit" ./cmd/sessionaudit
go build -o "$work/bin/floor" ./bench/floor
go build -o "$work/bin/skew" ./bench/skew

# seconds TIMEFILE / rss_mib TIMEFILE read GNU time's -v report.
seconds() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; printf "%.2f", s}' "$1"; }
rss_mib() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }

# generate N: makes the org of N logins unless it is there, and sets data and
# files: its sessions, logins and users exports, each a file or, for JSON
# pages, a pattern that sessionaudit and DuckDB both expand.
generate() {
  data="$work/data-$format-$1"
  case "$format" in
    bulk) files=("$data/sessions.csv" "$data/logins.csv" "$data/users.csv") ;;
    bulk-gz) files=("$data/sessions.csv.gz" "$data/logins.csv.gz" "$data/users.csv.gz") ;;
    json) files=("$data/sessions-*.json" "$data/logins-*.json" "$data/users-*.json") ;;
    *) echo "bench/run.sh: unknown format $format" >&2; exit 2 ;;
  esac
  if ! compgen -G "${files[1]}" >/dev/null; then
    echo "generating $1 logins into $data" >&2
    "$work/bin/sessionaudit" gen --logins "$1" --seed 1 --format "$format" --out "$data" >&2
  fi
}

# audit_once NAME SESSIONS LOGINS USERS POLICY: one timed audit of the
# exports under POLICY, into NAME.out, with NAME.time (GNU time's report),
# NAME.stdout and NAME.stderr beside it; a failed audit stops the run.
audit_once() {
  local name=$1 policy=$5
  rm -rf "$name.out"
  /usr/bin/time -v -o "$name.time" "$work/bin/sessionaudit" audit \
    --sessions "$2" --logins "$3" --users "$4" \
    --policy "$policy" --as-of 2026-11-26T12:00:00Z --memory-limit "$memory_limit" \
    --out "$name.out" >"$name.stdout" 2>"$name.stderr" || {
      echo "audit failed ($name):" >&2; cat "$name.stderr" >&2; exit 1; }
}

# Copies of the 1M-login org with one heavy user or IP (see bench/skew), each
# audited once.
if [ "$special" = skew ]; then
  [ "$format" = bulk ] || { echo "bench/run.sh: --skew copies Bulk CSV exports only" >&2; exit 2; }
  generate 1000000
  printf '\n%-5s %-13s %-9s %-9s %-9s %-10s %s\n' heavy heavy_logins audit_s checks_s audit_MiB findings slowest_steps
  for by in user ip; do
    for every in 8 4 2 1; do
      copy="$work/skew-$by-$every"
      heavy=$("$work/bin/skew" --by "$by" --every "$every" --in "$data" --out "$copy")
      audit_once "$copy/audit" "$copy/sessions.csv" "$copy/logins.csv" "$copy/users.csv" testdata/sample/policy.yaml
      checks=$(grep -o 'msg="ran checks" elapsed=[^ ]*' "$copy/audit.stderr" | sed 's/.*elapsed=//')
      # The four slowest steps of the checks line, with their times.
      slowest=$(grep -o 'steps="[^"]*"' "$copy/audit.stderr" | sed 's/steps="//; s/"$//; s/ (peak [0-9]* MiB)//g' | tr ',' '\n' |
        awk '{t=$NF; n=t; sub(/[a-zµ]+$/, "", n); u=t; sub(/^[0-9.]+/, "", u); s=n*(u=="ms"?0.001:u=="µs"?0.000001:u=="m"?60:1);
              sub(/^ /, ""); print s "\t" $0}' | sort -rn | head -4 | cut -f2 | paste -sd, | sed 's/,/, /g')
      findings=$(awk '$1 == "total" {print $NF; exit}' "$copy/audit.stdout")
      printf '%-5s %-13s %-9s %-9s %-9s %-10s %s\n' "$by" "$heavy" "$(seconds "$copy/audit.time")" "$checks" \
        "$(rss_mib "$copy/audit.time")" "$findings" "$slowest"
      rm -rf "$copy"
    done
  done
  exit 0
fi

# One audit of a generated org under a policy of bench/, printing the findings,
# wall time and peak RSS: --findings-1m and --untrusted-vpn.
if [ -n "$special" ]; then
  size=10000000; [ "$special" = untrusted-vpn ] && size=50000000
  generate "$size"
  audit_once "$work/$special" "${files[@]}" "bench/$special-policy.yaml"
  findings=$(awk '$1 == "total" {print $NF; exit}' "$work/$special.stdout")
  printf '\n%-10s %-10s %-10s %-10s\n%-10s %-10s %-10s %-10s\n' logins findings audit_s audit_MiB \
    "$size" "$findings" "$(seconds "$work/$special.time")" "$(rss_mib "$work/$special.time")"
  echo "reports in $work/$special.out" >&2
  exit 0
fi

cores=$(nproc)
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
# The processor's name: x86 kernels give a "model name", arm64 ones none
# (lscpu names the core there); the architecture at least, since a row
# whose machine column has no processor would be malformed.
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
[ -n "$cpu" ] || cpu=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ {print $2; exit}')
[ -n "$cpu" ] || cpu=$(uname -m)
today=$(date -u +%Y-%m-%d)
rows=()
printf '\n%-10s %-9s %-10s %-10s %-8s %-10s %-10s\n' logins sessions floor_s audit_s ratio audit_MiB floor_MiB
# median reads numbers, one per line, and prints the middle one (the mean of
# the two middle ones for an even count).
median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2}'; }
for n in $sizes; do
  generate "$n"
  # The floor and the audit take turns, so a slow spell of the machine
  # weighs on both; the medians leave out one odd run.
  floor_times=(); audit_times=(); arss=0; frss=0
  for r in $(seq 1 "$repeat"); do
    /usr/bin/time -v -o "$work/floor-$n.time" "$work/bin/floor" --memory-limit "$memory_limit" "${files[@]}" >&2
    audit_once "$work/audit-$n" "${files[@]}" testdata/sample/policy.yaml
    floor_times+=("$(seconds "$work/floor-$n.time")"); audit_times+=("$(seconds "$work/audit-$n.time")")
    arss=$(( $(rss_mib "$work/audit-$n.time") > arss ? $(rss_mib "$work/audit-$n.time") : arss ))
    frss=$(( $(rss_mib "$work/floor-$n.time") > frss ? $(rss_mib "$work/floor-$n.time") : frss ))
    echo "  $n logins, run $r of $repeat: floor ${floor_times[-1]} s, audit ${audit_times[-1]} s" >&2
  done
  case "$format" in
    bulk) sessions=$(( $(wc -l < "${files[0]}") - 1 )) ;;
    bulk-gz) sessions=$(( $(zcat "${files[0]}" | wc -l) - 1 )) ;;
    json) sessions=$(cat ${files[0]} | grep -o '"Id":"0Ak' | wc -l) ;; # the pattern expands here
  esac
  fs=$(printf '%s\n' "${floor_times[@]}" | median); as=$(printf '%s\n' "${audit_times[@]}" | median)
  ratio=$(awk -v a="$as" -v f="$fs" 'BEGIN {if (f > 0) printf "%.2f", a/f; else printf "—"}')
  printf '%-10s %-9s %-10s %-10s %-8s %-10s %-10s\n' "$n" "$sessions" "$fs" "$as" "$ratio" "$arss" "$frss"
  runs="1 run"; [ "$repeat" -gt 1 ] && runs="median of $repeat runs"
  rows+=("| $today | $n | $sessions | $format | $fs | $as | $ratio | $arss | $cores cores, $mem, $cpu; $runs |")
done

if [ "$readme" = 1 ]; then
  # Insert under the header of the README's results table, newest first (the
  # last size on top), all in one pass; a table that lost its line of dashes
  # meanwhile takes no row, and that fails the run rather than being
  # reported as done.
  block=""
  for r in "${rows[@]}"; do block="$r"$'\n'"$block"; done
  # Through the environment: awk -v would read the backslashes as escapes.
  BLOCK="${block%$'\n'}" HEADER="$table_header" awk '
    {print} $0 ~ ENVIRON["HEADER"] {h=1; next}
    h==1 && /^\|[-| ]+\|$/ {print ENVIRON["BLOCK"]; h=0; n++}
    END {exit n == 1 ? 0 : 1}' "$readme_file" > "$readme_file.tmp" || {
      rm -f "$readme_file.tmp"; echo "bench/run.sh: found no results table in $readme_file to add the rows to" >&2; exit 1; }
  mv "$readme_file.tmp" "$readme_file"
  echo "appended ${#rows[@]} row(s) to the Performance table of $readme_file" >&2
fi
