#!/usr/bin/env bash
# Back the Comptoir PostgreSQL database up: one pg_dump file (custom format, compressed) per run,
# readable by its owner only, and the files older than COMPTOIR_BACKUP_KEEP_DAYS deleted.
#
#   COMPTOIR_DATABASE_URL      the database (postgresql+asyncpg://… as Comptoir reads it)
#   COMPTOIR_BACKUP_DIR        where the files go (required)
#   COMPTOIR_BACKUP_KEEP_DAYS  how long a file is kept (default 30: erased data leaves the
#                              backups at the latest that many days after its erasure)
#
# Prints the file written. Exit code non-zero when the dump failed (the partial file is removed).
set -euo pipefail
umask 077

url="${COMPTOIR_DATABASE_URL:?set COMPTOIR_DATABASE_URL}"
folder="${COMPTOIR_BACKUP_DIR:?set COMPTOIR_BACKUP_DIR}"
keep="${COMPTOIR_BACKUP_KEEP_DAYS:-30}"
case "$url" in
    postgresql*://*) ;;
    *) echo "backup.sh: only PostgreSQL is backed up this way (SQLite: copy the file with sqlite3 .backup)" >&2; exit 2 ;;
esac
case "$keep" in
    ''|*[!0-9]*) echo "backup.sh: COMPTOIR_BACKUP_KEEP_DAYS must be a number of days" >&2; exit 2 ;;
esac
libpq="postgresql://${url#*://}"  # libpq does not know SQLAlchemy's driver suffix

mkdir -p "$folder"
file="$folder/comptoir-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$file.partial"
trap 'rm -f "$partial"' EXIT
pg_dump --format=custom --no-owner --no-privileges --file="$partial" "$libpq"
mv "$partial" "$file"
find "$folder" -maxdepth 1 -name 'comptoir-*.dump' -type f -mtime "+$keep" -delete
echo "$file"
