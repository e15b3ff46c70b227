#!/usr/bin/env bash
# Journal mailboxes in the private Dovecot instance of stack.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=env.sh
. "$HERE/env.sh"

DDIR="$JW_RUN_DIR/dovecot"
USERS="$DDIR/users"

die() { printf '[mailbox] ERROR: %s\n' "$*" >&2; exit 1; }
usage() {
  cat >&2 <<'EOF'
usage: mailbox.sh create USER PASSWORD   create the mailbox, or update its password
       mailbox.sh delete USER            remove the user and its Maildir
       mailbox.sh clear USER             expunge all messages
       mailbox.sh count USER             print the number of messages
       mailbox.sh deliver USER FILE...   deliver messages in the given order ("-" = stdin)
EOF
  exit 2
}
dadm() { doveadm -c "$DDIR/dovecot.conf" "$@"; }
check_user() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._@+=-]*$ ]] || die "invalid user name: '$1'"; }
rewrite_users() { # USER [LINE]: drop USER's entry from the passwd-file, then append LINE
  local tmp ns
  exec 9>"$DDIR/users.lock"
  flock 9
  tmp=$(mktemp "$USERS.XXXXXX")
  awk -F: -v u="$1" '$1 != u' "$USERS" >"$tmp"
  if [[ $# -gt 1 ]]; then printf '%s\n' "$2" >>"$tmp"; fi
  chgrp dovecot "$tmp"
  chmod 640 "$tmp"
  mv "$tmp" "$USERS"
  # Dovecot re-checks a passwd-file at most once per second and only notices a new mtime (in
  # seconds) or size: wait for the next second so the change is seen and the next edit differs.
  ns=$(date +%N)
  sleep "$(((1000000000 - 10#$ns) / 1000000 + 20))e-3"
  exec 9>&-
}

[[ $# -ge 2 ]] || usage
cmd=$1 user=$2
shift 2
check_user "$user"
"$HERE/stack.sh" status dovecot >/dev/null 2>&1 || "$HERE/stack.sh" start dovecot >/dev/null

case $cmd in
  create)
    [[ $# -eq 1 ]] || usage
    # base64-encoded PLAIN keeps any password (including ':') safe in the passwd-file
    rewrite_users "$user" "$user:{PLAIN.b64}$(printf '%s' "$1" | base64 -w0)::::::"
    dadm mailbox status -u "$user" messages INBOX >/dev/null # creates the Maildir
    ;;
  delete)
    [[ $# -eq 0 ]] || usage
    rewrite_users "$user"
    dadm kick "$user" >/dev/null 2>&1 || true
    rm -rf "${DDIR:?}/mail/$user"
    ;;
  clear)
    [[ $# -eq 0 ]] || usage
    dadm expunge -u "$user" mailbox INBOX all
    ;;
  count)
    [[ $# -eq 0 ]] || usage
    out=$(dadm -f flow mailbox status -u "$user" messages INBOX)
    echo "${out##*messages=}"
    ;;
  deliver)
    [[ $# -ge 1 ]] || usage
    # Stage the messages as a throwaway Maildir whose file names sort in argument order, then copy
    # them into INBOX with one `doveadm import` (UIDs, and so POP3 order, follow that order).
    stage=$(mktemp -d "$DDIR/staging/deliver.XXXXXX")
    trap 'rm -rf "$stage"' EXIT
    mkdir "$stage/cur" "$stage/new" "$stage/tmp"
    perl -e '
      my ($dir, @files) = @ARGV; my ($i, $t, $tag) = (0, time, $dir =~ s{.*\.}{}r);
      for my $f (@files) {
        my $in;
        if ($f eq "-") { $in = \*STDIN } else { open($in, "<", $f) or die "mailbox.sh: $f: $!\n" }
        binmode $in; local $/; my $data = <$in> // "";
        # <secs>.M<usecs>P<pid>.<host>: Dovecot orders new files by this time stamp
        my $out = sprintf("%s/cur/%d.M%dP%d.jw%s:2,", $dir, $t + int($i / 1e6), $i % 1e6, $$, $tag); $i++;
        open(my $o, ">", $out) or die "mailbox.sh: $out: $!\n"; binmode $o;
        print $o $data or die "mailbox.sh: $out: $!\n"; close $o or die "mailbox.sh: $out: $!\n";
      }' "$stage" "$@"
    chown -R mail:mail "$stage"
    dadm import -u "$user" "maildir:$stage:INDEX=MEMORY" "" all
    ;;
  *) usage ;;
esac
