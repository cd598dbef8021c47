#!/usr/bin/env bash
# Multi-user Expressway-E/-C bundles for samples/users-*/, made by the generator in
# src/synth/bundle.rs (examples/gen_bundle.rs): hours of many users' sign-ins of a busy
# cluster, each shaped by its seed (host names, UTC offset, numbering plan, one or two
# clusters, OAuth clients, a shared NAT), with the failures named below planted for chosen
# users. Deterministic: the same seed writes the same bytes.
#
#   samples/make-users.sh              # every users-*/ folder
#   samples/make-users.sh users-fail-then-ok
#
# The expectations (expect.toml) are written by hand from what each case plants.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release --example gen_bundle
gen=target/release/examples/gen_bundle

# name | gen_bundle arguments | what the case is
cases=(
  "users-ticket-register-403|--seed 3 --users 60 --minutes 120 --plant 17:register403:3000|The ticket's user (behind a NAT shared with other users) gets a 403 to the REGISTER of their line, amid 59 users who sign in fine. The REGISTER names only a directory number: the Call-ID, the client address and port and the get_edge_config request seconds before it (its Basic header) tie it to the user."
  "users-old-fault-new-fault|--seed 9 --users 50 --minutes 180 --plant 5:nexthop502:1800:300 --plant 30:voicemail403:5400|An old fault, cleared: one user's get_edge_config got 502 an hour before the ticket, and five minutes later the same user signed in fine. The ticket's user gets 403 on visual voicemail (the HTTP allow list). The verdict is the new one; the old one is reported as recovered."
  "users-fail-then-ok|--seed 12 --users 40 --minutes 120 --plant 7:uds401:3000:90|One user's credentials are refused by CUCM UDS, and 90 s later the same user signs in fine. No user's latest sign-in failed: the verdict is ok, and the recovery is said."
  "users-focus-user|--seed 5 --users 45 --minutes 150 --plant 8:domain403:2000 --plant 21:homecucm:6000|Two users fail: the first with 403 from Expressway-E (domain), the second, later, because Expressway-C cannot place the home CUCM. Without focus the verdict is the latest; focused on the first user (--user) it is theirs."
  "users-focus-at|--seed 6 --users 40 --minutes 180 --plant 11:uds401:1500:120 --plant 11:register403:7000|One user fails twice: wrong credentials early (then signs in), later a REGISTER refused. The ticket gives the user and the local time of the first failure (--user, --at HH:MM, --tz): the verdict is that attempt."
  "users-absent|--seed 2 --users 30 --minutes 60 --plant 4:nexthop502:1200|The ticket names a user who is not in the bundles: the verdict says so and lists the closest names (no guess at someone else's sign-in)."
  "users-outside-window|--seed 10 --users 30 --minutes 180 --plant 9:homecucm:1200|The ticket's user signs in only early in the logs; the ticket's time is two and a half hours later: the verdict says no sign-in of that user is near that time and names the nearest."
  "users-oauth-client-403|--seed 4 --users 40 --minutes 90 --plant 12:domain403:2400|An OAuth client (a Bearer token: no user name reaches Expressway-E) gets 403 from Expressway-E; Expressway-C never sees the request. Nothing names the user: the verdict names the client address, never another user."
  "users-two-clusters-unknown-roles|--seed 15 --users 80 --minutes 120 --plant 44:voicemail403:4000|Two clusters, one of them named so that E and C cannot be told from the host names (mra-edge-a/mra-core-a), UTC-08:00 headers; a user's voicemail requests get 403 amid 79 healthy users."
  "users-many-failing|--seed 13 --users 70 --minutes 150 --plant 3:uds401:1000 --plant 40:homecucm:3000 --plant 61:register403:6000|Three users fail at different times (UDS credentials, home CUCM, REGISTER 403) among 67 who sign in fine; E.164 numbers, UTC-03:00 headers. The verdict is the latest failure; the users table lists the three."
  "users-focus-box-fault|--seed 8 --users 35 --minutes 90 --plant 14:xcp7400:2700|While the ticket's user signs in, Expressway-C cannot reach Expressway-E on TCP 7400 (XMPP): those lines name no user, and 34 other users sign in around then. Without focus the verdict is that box-level failure; focused on the user (--user), their attempt is judged with the lines about no one in its time, and XMPP fails in it."
  "users-200|--seed 16 --users 200 --minutes 90 --plant 150:nexthop502:2500|200 users on two clusters; one gets 502 from Expressway-E. The text report stays short: the verdict's session, one line per failing user, a count for the rest."
)

only="${1:-}"
for case in "${cases[@]}"; do
  IFS='|' read -r name args what <<<"$case"
  if [[ -n "$only" && "$only" != "$name" ]]; then continue; fi
  dir="samples/$name"
  rm -f "$dir"/diagnostic_log_*.tar.gz
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  summary=$("$gen" --out "$dir" --no-truth $args)
  {
    echo "# $name"
    echo
    echo "$what"
    echo
    echo "Generated: $(echo "$summary" | head -1 | sed "s|^$dir: ||")."
    echo "Planted (user, fault, UTC time):"
    echo
    echo "$summary" | tail -n +2 | sed 's/^  /- /'
    echo
    echo "Made by \`samples/make-users.sh $name\` (\`gen_bundle $args\`): the generator in"
    echo "src/synth/bundle.rs writes every line after a real one quoted in research/mra-domain.md."
  } >"$dir/README.md"
  echo "$dir"
done
