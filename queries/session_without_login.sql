-- id: session_without_login
-- title: Live session whose login is missing from the login history, or failed
-- severity: medium
-- rationale: Every session is created by a successful login, and LoginHistory keeps six
--   months of them. When the history covers the time a session's family began (its first
--   session, which the login created; later sessions of the family, such as Visualforce or
--   Content ones, name the same login) but lacks the login it names, or the login it names
--   failed, the session may have been made without a login (a forged or replayed session), or
--   the export is incomplete or inconsistent. Only logins with a Salesforce Id show what the
--   history covers: a Login History download from Setup has no Ids, so sessions cannot be
--   matched against it. Each export covers its first to its last login; exports that
--   overlap, or lie at most max_export_gap apart (a quiet night between monthly exports),
--   cover one span, and a longer gap between two is not covered: the audit warns of it, as it
--   does of families begun after the history's last login (exported before the sessions). A
--   reused session names the reusing login, so for a session active after the history's last
--   login, or the last of the span covering its start (LastModifiedDate later), the finding
--   says its login may simply be newer than the export. When the login's row was rejected
--   (it had the Id but an unreadable value), the finding names that row to correct; when
--   rows whose Id could not be read were rejected, it says the login may be one of them.
-- remediation: Check that the LoginHistory export is complete for that time; if it is, end
--   the session and review the user's activity.
-- knobs: session_without_login.max_export_gap
-- removes: nothing (the export may be incomplete)

-- login_history_stretches (see analyze/prelude.sql) are the stretches of time
-- the history covers without a gap between exports. named_logins holds every
-- login a live session names that exists.
WITH coverage AS (
    SELECT * FROM login_history_stretches
), history_end AS (
    SELECT max(last_login) AS last_login FROM login_coverage
), unreadable AS (
    -- Rejected rows of the login exports whose Id could not be read: any of
    -- them may be the login a session names.
    SELECT count(*) AS rows FROM rejected_logins WHERE id IS NULL
), missing AS (
    -- An anti-join rather than NOT EXISTS: DuckDB plans the correlated
    -- subquery as a join that copies every live session and de-duplicates
    -- their login Ids first, which took twice as long as the plain hash
    -- anti-join.
    SELECT s.*
    FROM sessions s
    ANTI JOIN named_logins l ON l.id = s.login_history_id
    WHERE is_live(s.expires) AND s.login_history_id IS NOT NULL
), family_starts AS (
    -- When each family of those sessions began (families_missing_login, see
    -- analyze/prelude.sql): only a family whose first session is in the
    -- export has a known start and is judged.
    SELECT * FROM families_missing_login
), failed AS (
    -- Sessions whose login is there, but failed. (Whose login it is goes
    -- unjudged: reading the user of every named login cost half a second
    -- at ten million logins, and an admin's "Login As" session is the
    -- user's while its login is the admin's.)
    SELECT s.*, n.login_row
    FROM sessions s
    JOIN named_logins n ON n.id = s.login_history_id
    WHERE is_live(s.expires) AND NOT n.success
)
SELECT
    'medium' AS severity,
    s.user_id,
    s.username,
    s.id AS session_id,
    s.source_ip,
    s.created AS observed_at,
    printf('%s session of %s from %s, created %s%s, names login %s, %s',
        coalesce(s.session_type, 'Untyped'), user_name(s.username, s.user_id), coalesce(s.source_ip, 'an unknown IP'),
        fmt_time(s.created), -- Shown to the minute, as the times are.
        CASE WHEN date_trunc('minute', s.began) < date_trunc('minute', s.created) THEN ' in a family begun ' || fmt_time_after(s.began, s.created) ELSE '' END,
        s.login_history_id, s.why) AS detail,
    NULL::VARCHAR AS target_kind,
    NULL::VARCHAR AS target_id
FROM (
    SELECT s.id, s.user_id, s.username, s.source_ip, s.created, s.session_type, s.login_history_id, NULL::TIMESTAMP AS began,
        printf('which failed (%s) at %s: a session comes from a successful login.', l.status, fmt_time(l.login_time)) AS why
    FROM failed s
    JOIN logins l ON l.rowid = s.login_row
    UNION ALL
    SELECT s.id, s.user_id, s.username, s.source_ip, s.created, s.session_type, s.login_history_id, f.began,
        -- A rejected row with the login's Id is most likely the login:
        -- the finding points at the row to fix rather than at a gap.
        CASE WHEN r.id IS NOT NULL THEN printf('which was not loaded: its row, %s, was rejected (%s), so whether it succeeded is unknown. Correct the row (see rejects.csv) and audit again.',
            r.file || coalesce(' line ' || r.line, ''), r.reason)
        ELSE printf('which is not in the login history although the history covers %s to %s.', fmt_time(c.first_login), fmt_time(c.last_login))
        -- A session reused by a later login names that login instead (see
        -- began_session): one active after the history ends may name a
        -- login newer than the export rather than a missing one.
        -- The same holds for one active after the stretch of the history
        -- that covers its start, when a gap follows it.
        || CASE WHEN s.last_modified > c.last_login THEN printf(
            ' It was active at %s, after %s, so a later login may have reused it: a login history exported up to the sessions'' export would settle it.',
            fmt_time_after(s.last_modified, c.last_login),
            CASE WHEN c.last_login = e.last_login THEN 'the history ends'
                ELSE 'the part of the history that covers its start ends (the exports given leave a gap after it)' END) ELSE '' END
        || CASE WHEN u.rows > 0 THEN printf(' The login history also has %s rejected %s whose Id could not be read (see rejects.csv): the login may be %s.',
            fmt_count(u.rows), CASE WHEN u.rows = 1 THEN 'row' ELSE 'rows' END, CASE WHEN u.rows = 1 THEN 'that row' ELSE 'one of them' END) ELSE '' END
        END
    FROM missing s
    JOIN family_starts f USING (parent_id)
    JOIN coverage c ON f.began BETWEEN c.first_login AND c.last_login
    CROSS JOIN history_end e
    CROSS JOIN unreadable u
    -- The first rejected row with the Id, should two exports hold it.
    LEFT JOIN (SELECT DISTINCT ON (id) * FROM rejected_logins WHERE id IS NOT NULL ORDER BY id, file, line) r
        ON r.id = s.login_history_id
) s
