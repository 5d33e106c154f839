-- Helpers the checks and the removal list share. analyze.Run creates them as
-- temporary objects on the run's connection, after setting the variables
-- (as_of and the policy knobs) and loading ip_info and the policy_* tables.

-- A session is live while it has not expired at the audit's clock.
CREATE OR REPLACE TEMP MACRO is_live(expires) AS expires > getvariable('as_of');

-- Whether a session created at created was begun by a login at login_time
-- that the session names: a session reused later names the latest login
-- that reused it (Salesforce moves LoginHistoryId on), and a named login
-- more than a minute after the session's creation is such a one.
CREATE OR REPLACE TEMP MACRO began_session(login_time, created) AS login_time <= created + INTERVAL 1 MINUTE;

-- Whether a family whose first session was created at created counts as
-- begun by a login at login_time that no session of it names (a Setup
-- download's, or the login before a reuse): created in the two minutes from
-- it (Setup downloads give the minute).
CREATE OR REPLACE TEMP MACRO begun_within(created, login_time) AS
    created >= login_time AND created < login_time + INTERVAL 2 MINUTE;

-- Great-circle distance in km (haversine on the mean earth radius). least()
-- keeps rounding from pushing asin past its domain for antipodal points.
CREATE OR REPLACE TEMP MACRO distance_km(lat1, lon1, lat2, lon2) AS
    2 * 6371.0088 * asin(least(1.0, sqrt(
        pow(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * pow(sin(radians(lon2 - lon1) / 2), 2))));

-- Durations in words, to the two largest units: "3 days 4 hours", "12 hours",
-- "45 minutes", "1 minute 30 seconds".
CREATE OR REPLACE TEMP MACRO count_unit(n, unit) AS
    format('{:,}', n) || ' ' || unit || CASE WHEN n = 1 THEN '' ELSE 's' END;
CREATE OR REPLACE TEMP MACRO and_unit(n, unit) AS
    CASE WHEN n = 0 THEN '' ELSE ' ' || count_unit(n, unit) END;
CREATE OR REPLACE TEMP MACRO human_seconds(s) AS CASE
    WHEN abs(s) >= 86400 THEN count_unit(abs(s) // 86400, 'day') || and_unit(abs(s) % 86400 // 3600, 'hour')
    WHEN abs(s) >= 3600 THEN count_unit(abs(s) // 3600, 'hour') || and_unit(abs(s) % 3600 // 60, 'minute')
    WHEN abs(s) >= 60 THEN count_unit(abs(s) // 60, 'minute') || and_unit(abs(s) % 60, 'second')
    ELSE count_unit(abs(s), 'second')
END;
CREATE OR REPLACE TEMP MACRO human_duration(i) AS human_seconds(floor(epoch(i))::BIGINT);

-- A duration the policy sets, in words, every unit it has: a limit of 24h30m
-- is "1 day 30 minutes", where human_duration, to the two largest units,
-- would call it "1 day".
CREATE OR REPLACE TEMP MACRO whole_seconds(s) AS coalesce(nullif(ltrim(
    and_unit(s // 86400, 'day') || and_unit(s % 86400 // 3600, 'hour')
    || and_unit(s % 3600 // 60, 'minute') || and_unit(s % 60, 'second')), ''), '0 seconds');
CREATE OR REPLACE TEMP MACRO whole_duration(i) AS whole_seconds(floor(epoch(i))::BIGINT);

-- Numbers as analysts read them: whole, with thousands separators.
CREATE OR REPLACE TEMP MACRO fmt_count(n) AS format('{:,}', round(n)::BIGINT);
CREATE OR REPLACE TEMP MACRO fmt_km(d) AS fmt_count(d) || ' km';
-- A count that leads a phrase: "none of the user's 9 logins", not "0 of".
CREATE OR REPLACE TEMP MACRO fmt_none(n) AS CASE WHEN n = 0 THEN 'none' ELSE fmt_count(n) END;

-- Times in findings are UTC to the minute; a second time on the same day as
-- the first shows only the clock.
CREATE OR REPLACE TEMP MACRO fmt_time(ts) AS strftime(ts, '%Y-%m-%d %H:%M UTC');
CREATE OR REPLACE TEMP MACRO fmt_time_after(ts, earlier) AS
    CASE WHEN ts::DATE = earlier::DATE THEN strftime(ts, '%H:%M UTC') ELSE fmt_time(ts) END;

-- When a run of events happened: "between 2026-11-26 08:00 and 08:14 UTC
-- (14 minutes)", or "at 2026-11-26 08:00 UTC" for a single moment.
CREATE OR REPLACE TEMP MACRO fmt_span(first, last) AS CASE
    WHEN first = last THEN 'at ' || fmt_time(first)
    ELSE 'between ' || strftime(first, '%Y-%m-%d %H:%M') || ' and ' || fmt_time_after(last, first)
        || ' (' || human_duration(last - first) || ')'
END;

-- A measure past its limit, in words: the measure, or "just over" the limit
-- when the measure, to the two largest units human_duration shows, reads as
-- no more than the limit ("open for 1 day; the limit is 1 day 30 minutes"
-- for 24 hours 40 minutes would read as no finding at all). shown_seconds
-- is the measure as human_seconds shows it, cut to its two largest units.
CREATE OR REPLACE TEMP MACRO shown_seconds(s) AS
    CASE WHEN s >= 86400 THEN s - s % 3600 WHEN s >= 3600 THEN s - s % 60 ELSE s END;
CREATE OR REPLACE TEMP MACRO past_limit(measure, lim) AS CASE
    WHEN shown_seconds(floor(epoch(measure))::BIGINT) <= floor(epoch(lim)) THEN 'just over ' || whole_duration(lim)
    ELSE human_duration(measure)
END;

-- When a success came against a burst of failures that ran from first to
-- last, in words: "5 minutes after the last failure", "the same moment as
-- the last failure", or "in the middle of the burst, 3 minutes after its
-- first failure, and the failures went on until 10:00 UTC". A Setup
-- download's success (from_setup) gives only its minute: in the minute of
-- the first or last failure, either may have come first, and it says so.
-- Against a failure with seconds (an API export's), such a success is
-- measured from the failure's minute: 10:01 against 10:00:30 is "1 minute
-- after the minute of the last failure", as "30 seconds after" would give
-- only the least the gap can be.
CREATE OR REPLACE TEMP MACRO success_moment(t, first, last, from_setup) AS CASE
    WHEN from_setup AND t = date_trunc('minute', last)
        THEN 'in the same minute as the last failure (a Setup download gives minutes, so either may have come first)'
    WHEN t = last THEN 'the same moment as the last failure'
    WHEN t > last THEN CASE
            WHEN from_setup AND last <> date_trunc('minute', last)
                THEN human_duration(t - date_trunc('minute', last)) || ' after the minute of the last failure (a Setup download gives minutes)'
            ELSE human_duration(t - last) || ' after the last failure' END
    ELSE 'in the middle of the burst, ' || CASE
            WHEN from_setup AND t = date_trunc('minute', first)
                THEN 'in the same minute as its first failure (a Setup download gives minutes, so the success may have come first)'
            WHEN t = first THEN 'at the same moment as its first failure'
            WHEN from_setup AND first <> date_trunc('minute', first)
                THEN human_duration(t - date_trunc('minute', first)) || ' after the minute of its first failure (a Setup download gives minutes)'
            ELSE human_duration(t - first) || ' after its first failure' END
        || ', and the failures went on until ' || fmt_time_after(last, t)
END;

-- A place in words: "Paris, FR", "FR", or "an unknown place".
CREATE OR REPLACE TEMP MACRO place_name(city, country_iso, country) AS coalesce(
    city || ', ' || coalesce(country_iso, country), city, country_iso, country, 'an unknown place');

-- Who a finding is about, in words.
CREATE OR REPLACE TEMP MACRO user_name(username, user_id) AS coalesce(username, user_id, 'an unknown user');

-- The first items of a list of total and how many more: "a, b, c and 4 more".
CREATE OR REPLACE TEMP MACRO few_of(first, total) AS
    array_to_string(first, ', ')
    || CASE WHEN total > len(first) THEN ' and ' || fmt_count(total - len(first)) || ' more' ELSE '' END;

-- Successful logins from untrusted IPs, the history every location- and
-- IP-based check reads. Trusted networks are left out of all of them, and so
-- are logins without an IP, which no network can vouch for. It is a view,
-- not a table: at ten million logins a copy would hold over a gigabyte, while
-- reading it costs a scan and a probe of the few trusted IPs. login_row is
-- the login's rowid: checks carry it through their windows instead of the
-- wide columns and join back (logins.rowid = login_row) on the rows they
-- report. country_key is the ISO code, else the country's name (Setup
-- downloads give only names, which ingest reads as codes where it knows
-- them); has_iso tells which. The network (IPv4 /24 or
-- IPv6 /48) is in ip_info, for a check to join on the rows it keeps.
CREATE OR REPLACE TEMP VIEW untrusted_successes AS
SELECT
    l.rowid AS login_row, l.id, l.user_key, l.login_time, l.source_ip,
    coalesce(l.country_iso, l.country) AS country_key,
    l.country_iso IS NOT NULL AS has_iso,
    l.latitude, l.longitude
FROM logins l
WHERE l.success AND l.source_ip IS NOT NULL
    AND l.source_ip NOT IN (SELECT ip FROM ip_info WHERE trusted);

-- Whether some logins have no Salesforce Id (a Setup download's rows, which
-- ingest keys 'row:…'). Read as getvariable('logins_without_ids'), it is a
-- constant when a query is planned, so a query can leave out a test on the
-- Ids that cannot fail: the Ids then are not read at all. The range test
-- (the same as starts_with(id, 'row:')) is answered from each block's
-- smallest and largest Id, without reading the Ids, when no Id is in range.
SET VARIABLE logins_without_ids = (SELECT count(*) > 0 FROM logins WHERE id >= 'row:' AND id < 'row;');

-- The stretches of time the login history covers without a gap: the spans of
-- the exports (login_coverage, filled by ingest) merged where they overlap or
-- lie at most session_without_login.max_export_gap apart (a night without
-- logins between two monthly exports is no gap), so that an export starting
-- later than that after every export before it ended begins a new stretch. A
-- Login History download from Setup has no Ids and covers nothing.
-- session_without_login judges only sessions begun within one, and the run
-- warns of the gaps between them.
CREATE OR REPLACE TEMP VIEW login_history_stretches AS
SELECT min(first_login) AS first_login, max(last_login) AS last_login
FROM (
    SELECT *, sum(starts) OVER (ORDER BY first_login, last_login, export ROWS UNBOUNDED PRECEDING) AS stretch
    FROM (
        SELECT *, CASE WHEN first_login <= max(last_login) OVER (ORDER BY first_login, last_login, export
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + getvariable('session_without_login.max_export_gap')
            THEN 0 ELSE 1 END AS starts
        FROM login_coverage))
GROUP BY stretch;

-- Live companion sessions: the API session (LoginType Unknown) that a UI
-- login creates beside its UI session since Spring '25, in that UI session's
-- family (ingest puts it there when its ParentId is its own). It comes from a
-- UI login, not an API one: session_over_age judges it by the UI limit, and
-- token_over_rotation, which judges API logins' tokens, leaves it alone.
-- ui_created is when that UI session was created, which session_over_age
-- counts the companion's age from when it came first.
CREATE OR REPLACE TEMP TABLE live_companions AS
SELECT s.id, p.created AS ui_created
FROM sessions s
JOIN (SELECT id, created FROM sessions WHERE lower(session_type) = 'ui') p ON p.id = s.parent_id
WHERE s.parent_id <> s.id AND lower(s.session_type) = 'api' AND lower(s.login_type) = 'unknown'
    AND is_live(s.expires);

-- Live session families by parent_id, with their number of sessions and their
-- origin: the earliest-created session. Session Ids are unique (ingest
-- de-duplicates them), so each family has one origin.
CREATE OR REPLACE TEMP TABLE live_family_origins AS
SELECT
    parent_id, count(*) AS family_sessions, arg_min(id, (created, id)) AS origin_id,
    -- The earliest live session, which findings name: the origin may have
    -- expired while later sessions of its family live on.
    arg_min(id, (created, id)) FILTER (WHERE is_live(expires)) AS live_id,
    arg_min(session_type, (created, id)) FILTER (WHERE is_live(expires)) AS live_session_type
FROM sessions
GROUP BY parent_id
HAVING is_live(max(expires));

-- The logins that sessions of live families name (login_history_id), among
-- them those of every live session: the logins are probed by Id once, for
-- live_families and session_without_login, and only their Ids, times and
-- outcomes are read, since the logins table does not fit in memory at
-- ten million logins and every column a query reads costs a pass over it.
-- login_row is the login's rowid, for looking up more of it.
CREATE OR REPLACE TEMP TABLE named_logins AS
SELECT l.id, l.login_time, l.success, l.rowid AS login_row
FROM logins l
WHERE l.id IN (
    SELECT s.login_history_id
    FROM sessions s
    SEMI JOIN live_family_origins f USING (parent_id));

-- The families of live sessions that name a login the history lacks, with
-- when each began, expired sessions included: only when its first session
-- (the one whose Id is the family's) is in the export. Without it the family
-- began before any session there was created, perhaps before the history
-- does, and is not judged. session_without_login judges those that began
-- within the history; the run warns of those that began in its gaps.
CREATE OR REPLACE TEMP VIEW families_missing_login AS
SELECT parent_id, min(created) AS began
FROM sessions
WHERE parent_id IN (
    -- An anti-join rather than NOT EXISTS: DuckDB plans the correlated
    -- subquery as a join that copies every live session and de-duplicates
    -- their login Ids first, which took twice as long.
    SELECT s.parent_id
    FROM sessions s
    ANTI JOIN named_logins l ON l.id = s.login_history_id
    WHERE is_live(s.expires) AND s.login_history_id IS NOT NULL)
GROUP BY parent_id
HAVING bool_or(id = parent_id);

-- Live session families, one row each, described by their origin. login_time
-- is when the origin's login happened, or its creation when the login is not
-- in the history. A family whose named login did not begin it (reused, see
-- began_session) is dated by its creation and takes no place from that
-- login, as if its login were not in the history. Dated by the
-- reusing login, the logins in between (an intruder's own) would count as
-- the user's familiar history. network and trusted come from ip_info (NULL without an IP).
-- Two checks read it, so it is built once; the origin's login is looked up
-- after the families are known, so the logins are only probed, never sorted.
-- Login Ids are unique too, so each family has at most one login. The login's
-- place fills in only what the origin session lacks, so it is looked up by
-- rowid for those origins alone.
CREATE OR REPLACE TEMP TABLE live_families AS
WITH origins AS MATERIALIZED (
    SELECT s.*, f.family_sessions, f.live_id, f.live_session_type,
        CASE WHEN began_session(l.login_time, s.created) THEN l.login_time END AS login_at,
        CASE WHEN began_session(l.login_time, s.created) THEN l.login_row END AS login_row,
        NOT began_session(l.login_time, s.created) AS reused
    FROM live_family_origins f
    JOIN sessions s ON s.id = f.origin_id
    LEFT JOIN named_logins l ON l.id = s.login_history_id
), login_places AS (
    SELECT rowid AS login_row, city, country_iso, country, latitude, longitude
    FROM logins
    WHERE rowid IN (
        SELECT login_row FROM origins
        WHERE city IS NULL OR country_iso IS NULL OR country IS NULL OR latitude IS NULL OR longitude IS NULL)
), described AS (
    SELECT
        o.parent_id AS family_id, o.id AS origin_id, o.user_key, o.user_id, o.username,
        o.created, o.session_type, o.source_ip, o.login_history_id, o.family_sessions, o.live_id, o.live_session_type,
        coalesce(o.login_at, o.created) AS login_time,
        o.login_at IS NOT NULL AS login_known,
        o.reused,
        coalesce(o.city, l.city) AS city,
        coalesce(o.country_iso, l.country_iso) AS country_iso,
        coalesce(o.country, l.country) AS country,
        coalesce(o.latitude, l.latitude) AS latitude,
        coalesce(o.longitude, l.longitude) AS longitude
    FROM origins o
    LEFT JOIN login_places l USING (login_row)
)
SELECT
    d.*,
    coalesce(d.country_iso, d.country) AS country_key,
    d.country_iso IS NOT NULL AS has_iso,
    i.network,
    i.trusted
FROM described d
LEFT JOIN ip_info i ON i.ip = d.source_ip;

-- Whether some live family was reused (see live_families). Read as
-- getvariable('reused_families'), it is a constant when a query is planned,
-- so families_of_reused_login reads no login when none was.
SET VARIABLE reused_families = (SELECT coalesce(bool_or(reused), false) FROM live_families);

-- The reused live families each login began, which name a later login: a
-- successful login of the family's user from its IP in the two minutes
-- before its origin was created counts as having begun it, as for a Setup
-- download's login (see families_of_setup_login).
CREATE OR REPLACE TEMP VIEW families_of_reused_login AS
SELECT l.id AS login_id, f.family_id, f.live_id
FROM live_families f
JOIN logins l ON l.user_key = f.user_key AND l.source_ip = f.source_ip AND l.success
    AND begun_within(f.created, l.login_time)
WHERE getvariable('reused_families') AND f.reused;

-- The families a Setup download's login ('row:…') began, for the checks that
-- target a login and the removal list. No session can name such a login: a
-- family of its user from its IP whose first session (parent_id = id) was
-- created in the two minutes from its time, which the download gives to the
-- minute, counts as begun by it; a later session of an older family does
-- not. logins_without_ids is a constant when a query is planned, so without
-- Setup logins the logins are not read.
CREATE OR REPLACE TEMP VIEW families_of_setup_login AS
SELECT l.id AS login_id, s.parent_id AS family_id, s.expires
FROM logins l
JOIN sessions s ON s.user_key = l.user_key AND s.source_ip = l.source_ip AND s.id = s.parent_id
    AND begun_within(s.created, l.login_time)
WHERE getvariable('logins_without_ids') AND l.id >= 'row:' AND l.id < 'row;';

-- A live session each login created, for findings about a login to name
-- one: the lowest Id of the sessions naming the login and of the earliest
-- live sessions of the reused families it began; for a Setup download's
-- login, which no session names, the earliest live session of the first
-- live family it began (by family Id), which need not be that family's first
-- session (it may have expired while a later one lives on).
CREATE OR REPLACE TEMP VIEW live_session_of_login AS
SELECT login_history_id, min(id) AS session_id
FROM (
    SELECT login_history_id, id
    FROM sessions
    WHERE is_live(expires) AND login_history_id IS NOT NULL
    UNION ALL
    SELECT login_id, live_id FROM families_of_reused_login
    UNION ALL
    SELECT f.login_id, arg_min(o.live_id, f.family_id)
    FROM families_of_setup_login f
    JOIN live_family_origins o ON o.parent_id = f.family_id
    GROUP BY f.login_id)
GROUP BY login_history_id;
