#!/usr/bin/env bash
# Restore a backup written by backup.sh into a database, then migrate it to this release.
#
#   deploy/restore.sh FILE TARGET_URL
#
# TARGET_URL is a postgresql+asyncpg://… URL (as COMPTOIR_DATABASE_URL). The target's own
# tables are replaced (--clean): restore into a scratch database first, check it
# (`comptoir db upgrade`, then `comptoir leads list`), and only then point Comptoir at it.
# COMPTOIR_PSEUDONYM_KEY must be the one of the database backed up.
set -euo pipefail

file="${1:?usage: restore.sh FILE TARGET_URL}"
url="${2:?usage: restore.sh FILE TARGET_URL}"
[ -r "$file" ] || { echo "restore.sh: cannot read $file" >&2; exit 2; }
libpq="postgresql://${url#*://}"

pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error --dbname="$libpq" "$file"
comptoir="${COMPTOIR_BIN:-comptoir}"
COMPTOIR_DATABASE_URL="$url" "$comptoir" db upgrade
echo "restored $file into the target database"
