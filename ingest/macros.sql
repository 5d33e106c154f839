-- Parsing helpers the load statements share. Each returns NULL for a value it
-- cannot read, and the load turns a NULL from a non-blank value into a reject.

-- Typed values (Ids, times, numbers, flags, country codes) are taken as
-- written: exports do not pad them, and a value with stray spaces is
-- reported rather than quietly repaired (but for the times of Setup
-- downloads, see sa_ts_local, and coordinates: DuckDB's cast reads " 48.85 "
-- or "4.885e1" as the number they write, with nothing to repair). Free text
-- (cities, statuses, names) is kept as it is.
CREATE OR REPLACE TEMP MACRO sa_blank(s) AS coalesce(s, '') = '';

-- A 15-character Id gains its case-safe suffix: each 5-character chunk gives a
-- 5-bit mask of its capitals, indexed into A..Z0..5. This is package sfid's
-- Normalize in SQL, but for one case: an 18-character Id is kept as written,
-- its suffix unchecked (TestIDMacroAgreesWithSfid).
CREATE OR REPLACE TEMP MACRO sa_id18(s) AS (
    CASE
        WHEN length(s) = 18 AND regexp_full_match(s, '[A-Za-z0-9]{18}') THEN s
        WHEN length(s) = 15 AND regexp_full_match(s, '[A-Za-z0-9]{15}') THEN s || list_aggregate(
            list_transform(range(3), c -> substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345',
                1 + list_sum(list_transform(range(5), i ->
                    CASE WHEN substr(s, c * 5 + i + 1, 1) BETWEEN 'A' AND 'Z' THEN (1 << i) ELSE 0 END))::INTEGER, 1)),
            'string_agg', '')
    END);

-- ISO-8601 with a zone (Z, +0000, +00:00), with or without milliseconds, as UTC.
-- The connection's TimeZone is UTC, so the cast to TIMESTAMP keeps UTC.
-- Values ending in Z, as Bulk API and Data Loader write them, go through the
-- plain TIMESTAMP cast, three times faster than strptime and the cast to
-- TIMESTAMPTZ that reads every other form (the plain cast would ignore any
-- other zone). A value must start with a four-digit year (the casts also
-- read 'infinity', 'epoch', leading spaces and the year 26 of '26-11-26') and
-- end in Z or a zone: +hhmm or +hh:mm, the sign 5 or 6 characters from the
-- end, at most 14 hours and 59 minutes. The cast to TIMESTAMPTZ also reads
-- trailing spaces, and a time or a date with no zone at all in the
-- connection's zone: such a value is refused, not guessed to be UTC.
CREATE OR REPLACE TEMP MACRO sa_ts(s) AS
    CASE WHEN s[1] BETWEEN '0' AND '9' AND strpos(s, '-') = 5 THEN coalesce(
        CASE WHEN suffix(s, 'Z') THEN TRY_CAST(s AS TIMESTAMP) END,
        CASE WHEN s[-1] BETWEEN '0' AND '9' AND (
                (s[-5] IN ('+', '-') AND s[-3] BETWEEN '0' AND '9')
                OR (s[-6] IN ('+', '-') AND s[-3] = ':'))
                -- No zone is more than 14 hours off UTC, and an hour has
                -- 60 minutes: the cast would read +2400 as a day and +0099
                -- as 99 minutes.
                AND right(s, 2) <= '59' AND left(right(s, CASE WHEN s[-3] = ':' THEN 5 ELSE 4 END), 2) <= '14'
            THEN CAST(TRY_CAST(s AS TIMESTAMPTZ) AS TIMESTAMP) END) END;

-- Setup downloads write local times without a zone ("11/26/2026 3:04 PM"):
-- they are read in the policy's timezone tz. A download re-saved by Excel
-- writes two-digit years ("11/26/26 3:04 PM"), read as 20yy (strptime's %Y
-- would read the year 26). Other years must have four digits. The layout of
-- these downloads is not documented, so, unlike the API exports', their
-- times may have spaces around them and a trailing GMT or UTC, which says
-- the time is UTC: it is then not read in tz. ISO values with a zone are
-- taken as sa_ts does. A date with dots ("26.11.2026 15:04", as de, pl or
-- ru write it, perhaps with a comma before the time; "26. 11. 2026" as cs
-- or sk write it) is day first in every
-- locale that writes one, so it is rewritten in ISO order. So is a date that
-- begins with its four-digit year and a slash or a dot and a space
-- ("2026/11/26 15:04" from ja or zh, "2026/11/26 3:04 PM" from en_ZA,
-- "2026. 11. 26. 15:04" from hu or ko), year, month, day in every locale
-- that writes one. Not one with bare dots: Java's lv wrote "2026.26.11",
-- year, day, month, so such a date is rejected rather than maybe misread.
-- hr and sr end the year with a dot too ("26.11.2026. 15:04"). The words ko,
-- zh and ja write for AM and PM before a 12-hour time ("2026. 11. 26. 오후
-- 3:04", "2026/11/26 下午3:04") become AM and PM after it. A time written
-- with a dot ("26.11.2026 15.04" from da, "26/11/26 15.04" from id, Java's
-- it and sr), fi's "klo" before it ("26.11.2026 klo 15.04"), is the
-- hours and minutes in every locale that writes one: it gets a colon, and
-- so does fr_CA's "h" between them ("2026-11-26 15 h 04"). AM and PM
-- written with dots, as en_CA, es_MX and es_US write them ("3:04 p.m.",
-- "3:04 p. m."), become AM and PM; en_CA's comma after an ISO date
-- ("2026-11-26, 3:04 p.m.") goes. A date with hyphens and its four-digit
-- year last is read as one with slashes, in the download's order of day
-- and month: Java's nl and pt_PT write it day first ("26-11-2026 15:04"),
-- its es_PR month first ("11-26-2026 03:04 PM"). With a two-digit year it
-- is not read, as da writes day, month, year ("26-11-26") and Java's zh
-- year, month, day.
CREATE OR REPLACE TEMP MACRO sa_setup_time(s) AS regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(trim(s), '\s+(GMT|UTC)$', ''), '\s(klo\s)?(\d{1,2})([.:]|[ \x{00A0}\x{202F}]h[ \x{00A0}\x{202F}])(\d\d)$', ' \2:\4'),
    '\s(\d{1,2}:\d\d(:\d\d)?)[ \x{00A0}\x{202F}]?([aApP])\.[ \x{00A0}\x{202F}]?[mM]\.$', ' \1 \3M'),
    '^(\d{4}-\d{1,2}-\d{1,2}),\s', '\1 '),
    '\s(오전|上午|午前)\s?(\d{1,2}:\d\d(:\d\d)?)$', ' \2 AM'),
    '\s(오후|下午|午後)\s?(\d{1,2}:\d\d(:\d\d)?)$', ' \2 PM'),
    '^(\d{1,2}[/.]\d{1,2}[/.])(\d\d)(\D|$)', '\120\2\3'),
    '^(\d{1,2})\. ?(\d{1,2})\. ?(\d{4})\.?,?(\s|$)', '\3-\2-\1\4'),
    '^(\d{1,2})-(\d{1,2})-(\d{4}),?(\s|$)', '\1/\2/\3\4'),
    '^(\d{4})/(\d{1,2})/(\d{1,2}),?(\s|$)', '\1-\2-\3\4'),
    '^(\d{4})\. (\d{1,2})\. (\d{1,2})\.,?(\s|$)', '\1-\2-\3\4');

-- th_TH writes years of the Thai Buddhist calendar, 543 after the Gregorian
-- ("26/11/2569 15:04" for 2026): such a year (25xx, as sa_setup_time
-- leaves it, first or after the day and month) is not read, lest the login
-- load 543 years late; the load gives the reason (sa_buddhist_year).
CREATE OR REPLACE TEMP MACRO sa_buddhist_year(s) AS
    regexp_matches(sa_setup_time(s), '^(\d{1,2}/\d{1,2}/)?25\d\d\D');

-- The downloading user's locale orders the day and month ("26/11/2026 15:04"
-- from en_GB): day_first, a constant the load writes into each file's
-- statement (so that DuckDB folds the CASE away), picks the formats. Both
-- lists read the ISO forms, whose order is fixed.
CREATE OR REPLACE TEMP MACRO sa_ts_local(s, tz, day_first) AS coalesce(
    CASE WHEN regexp_matches(sa_setup_time(s), '^(\d{1,2}/\d{1,2}/\d{4}\D|\d{4}-)') AND NOT sa_buddhist_year(s) THEN
        CAST(timezone(CASE WHEN regexp_matches(trim(s), '\s(GMT|UTC)$') THEN 'UTC' ELSE tz END, CASE WHEN day_first THEN try_strptime(sa_setup_time(s), [
            '%d/%m/%Y %I:%M %p', '%d/%m/%Y %I:%M:%S %p', '%d/%m/%Y, %I:%M %p', '%d/%m/%Y, %I:%M:%S %p',
            '%d/%m/%Y %H:%M', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y, %H:%M', '%d/%m/%Y, %H:%M:%S', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d %I:%M %p', '%Y-%m-%d %I:%M:%S %p',
            '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M:%S.%g'])
        ELSE try_strptime(sa_setup_time(s), [
            '%m/%d/%Y %I:%M %p', '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y, %I:%M %p', '%m/%d/%Y, %I:%M:%S %p',
            '%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y, %H:%M', '%m/%d/%Y, %H:%M:%S', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d %I:%M %p', '%Y-%m-%d %I:%M:%S %p',
            '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M:%S.%g']) END) AS TIMESTAMP) END,
    CASE WHEN regexp_matches(trim(s), '(Z|[+-]\d\d:?\d\d)$') THEN sa_ts(s) END);

-- A whole number as exports write it: digits, perhaps with a fraction of
-- zeros ("7200.0"). The casts alone would also read a sign, spaces, "0x10",
-- "0b11", "1_000" and "1e3", and round "7200.5".
CREATE OR REPLACE TEMP MACRO sa_int(s) AS
    CASE WHEN regexp_full_match(s, '[0-9]+(\.0+)?') THEN TRY_CAST(split_part(s, '.', 1) AS BIGINT) END;

-- A count of seconds from 0 to bound, which keeps expiry times in range.
CREATE OR REPLACE TEMP MACRO sa_seconds(s, bound) AS
    CASE WHEN sa_int(s) BETWEEN 0 AND bound THEN sa_int(s) END;

CREATE OR REPLACE TEMP MACRO sa_bool(s) AS
    CASE lower(s) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'false' THEN false WHEN '0' THEN false END;

CREATE OR REPLACE TEMP MACRO sa_latitude(s) AS
    CASE WHEN TRY_CAST(s AS DOUBLE) BETWEEN -90 AND 90 THEN TRY_CAST(s AS DOUBLE) END;

-- A country code as LoginGeo and LoginHistory give it: two capitals (or a
-- capital and a digit, as geolocation data writes some regions, A1). The
-- checks compare codes as written, so " FR " or "fr" would be a country of
-- its own: such a value is reported, not read.
CREATE OR REPLACE TEMP MACRO sa_country_iso(s) AS
    CASE WHEN s GLOB '[A-Z][A-Z0-9]' THEN s END;

CREATE OR REPLACE TEMP MACRO sa_longitude(s) AS
    CASE WHEN TRY_CAST(s AS DOUBLE) BETWEEN -180 AND 180 THEN TRY_CAST(s AS DOUBLE) END;

-- A country's name as countrySteps (load.go) match it: in lower case,
-- without accents, with one space between words and after a comma (as
-- locationCountry takes "Korea,Republic of" for Korea's name) and a plain
-- apostrophe.
CREATE OR REPLACE TEMP MACRO sa_country_name(s) AS
    lower(strip_accents(regexp_replace(regexp_replace(replace(trim(s), '’', ''''), '\s*,\s*', ', ', 'g'), '\s+', ' ', 'g')));
