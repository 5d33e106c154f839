-- id: impossible_travel
-- title: Impossible travel between consecutive logins
-- severity: high
-- rationale: Two successful logins of one user from places farther apart than anyone can
--   travel in the time between them mean two people hold the credentials, or one of them
--   hides behind a relay.
-- remediation: End the sessions of the later login, reset the user's password and ask the
--   user which login was theirs; add known VPN egress ranges to trusted_networks.
-- knobs: impossible_travel.min_distance_km, impossible_travel.max_speed_kmh, trusted_networks

-- Trusted and place-less logins drop out before pairing, so a VPN login in
-- between cannot hide a jump; each login is then compared with the one before
-- it (LAG), which stays linear in the number of logins.
WITH ordered AS (
    SELECT
        id, user_key, user_id, username, login_time, source_ip, latitude, longitude,
        place_name(city, country_iso, country) AS place,
        lag(login_time) OVER w AS prev_time,
        lag(source_ip) OVER w AS prev_ip,
        lag(latitude) OVER w AS prev_latitude,
        lag(longitude) OVER w AS prev_longitude,
        lag(place_name(city, country_iso, country)) OVER w AS prev_place
    FROM untrusted_logins
    WHERE success AND latitude IS NOT NULL AND longitude IS NOT NULL
    WINDOW w AS (PARTITION BY user_key ORDER BY login_time, id)
), jumps AS (
    SELECT
        *,
        distance_km(prev_latitude, prev_longitude, latitude, longitude) AS km,
        epoch(login_time - prev_time) AS gap_seconds
    FROM ordered
    WHERE prev_time IS NOT NULL AND source_ip <> prev_ip
)
SELECT
    'high' AS severity,
    j.user_id,
    j.username,
    ls.session_id,
    j.source_ip,
    j.login_time AS observed_at,
    printf('%s logged in from %s (%s) at %s, %s a login from %s (%s): %s apart, %s.',
        user_name(j.username, j.user_id), j.source_ip, j.place, fmt_time(j.login_time),
        CASE WHEN j.gap_seconds = 0 THEN 'at the same moment as'
            ELSE human_seconds(j.gap_seconds::BIGINT) || ' after' END,
        j.prev_ip, j.prev_place, fmt_km(j.km),
        CASE WHEN j.gap_seconds = 0 THEN 'no time to travel at all'
            ELSE 'about ' || fmt_count(j.km / (j.gap_seconds / 3600.0)) || ' km/h' END) AS detail,
    'login' AS target_kind,
    j.id AS target_id
FROM jumps j
LEFT JOIN live_session_of_login ls ON ls.login_history_id = j.id
WHERE j.km >= getvariable('impossible_travel.min_distance_km')
    AND (j.gap_seconds = 0 OR j.km / (j.gap_seconds / 3600.0) > getvariable('impossible_travel.max_speed_kmh'))
