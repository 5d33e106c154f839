-- The tables every check reads. ingest.Load fills them; nothing else writes them.
-- All times are UTC (TIMESTAMP without zone). Ids are 18-character Salesforce Ids.
-- user_key is user_id when it is known, else 'name:' || lower(username): checks group by it,
-- and usernames gives the name to print for it.
-- Rows keep their source file (src_file); a row is found in it by its Id. Rows
-- of Setup downloads, which carry no Id, get the Id 'row:<file>:<line>'.

CREATE TABLE sessions (
    id                     VARCHAR NOT NULL,  -- AuthSession.Id (0Ak...)
    user_id                VARCHAR,           -- UsersId
    username               VARCHAR,           -- Users.Username (or resolved from users/logins)
    user_key               VARCHAR NOT NULL,
    created                TIMESTAMP NOT NULL,
    last_modified          TIMESTAMP NOT NULL,
    num_seconds_valid      BIGINT NOT NULL,
    expires                TIMESTAMP NOT NULL, -- last_modified + num_seconds_valid
    user_type              VARCHAR,
    source_ip              VARCHAR,           -- canonical text form (netip), NULL when the export had none
    login_type             VARCHAR,
    session_type           VARCHAR,
    session_security_level VARCHAR,
    parent_id              VARCHAR NOT NULL,  -- family key: ParentId, or Id when ParentId is empty; a Spring '25
                                              -- companion API session takes its UI session's (companionFamilies, load.go)
    login_history_id       VARCHAR,
    login_geo_id           VARCHAR,
    is_current             BOOLEAN NOT NULL,
    city                   VARCHAR,
    country                VARCHAR,
    country_iso            VARCHAR,           -- as exported, else read from the country's name (countries.csv)
    latitude               DOUBLE,
    longitude              DOUBLE,
    src_file               INTEGER NOT NULL  -- sources.file
);

CREATE TABLE logins (
    id               VARCHAR NOT NULL,  -- LoginHistory.Id (0Ya...); Setup downloads get a synthetic 'row:' key
    user_id          VARCHAR,
    username         VARCHAR,           -- as the export gives it (a Setup download's Username, an API export's User.Username), else NULL
    user_key         VARCHAR NOT NULL,
    login_time       TIMESTAMP NOT NULL,
    source_ip        VARCHAR,
    status           VARCHAR NOT NULL,
    success          BOOLEAN NOT NULL,  -- lower(status) = 'success'
    login_geo_id     VARCHAR,
    city             VARCHAR,
    country          VARCHAR,
    country_iso      VARCHAR,           -- as exported, else read from the country's name (countries.csv)
    latitude         DOUBLE,
    longitude        DOUBLE,
    src_file         INTEGER NOT NULL  -- sources.file
);

CREATE TABLE users (
    id           VARCHAR NOT NULL,
    username     VARCHAR,
    name         VARCHAR,
    user_type    VARCHAR,
    is_active    BOOLEAN,
    profile_name VARCHAR,
    src_file     INTEGER NOT NULL  -- sources.file
);

CREATE TABLE geo (
    id          VARCHAR NOT NULL,
    city        VARCHAR,
    country     VARCHAR,
    country_iso VARCHAR,
    latitude    DOUBLE,
    longitude   DOUBLE,
    subdivision VARCHAR,
    postal_code VARCHAR,
    src_file    INTEGER NOT NULL  -- sources.file
);

-- What the login history covers: for each export of logins with Ids, its
-- earliest and latest login, counted before rows it shares with another export
-- were dropped as duplicates. An export is a CSV file, a JSON file, or the
-- REST pages of one query (see loginExports in load.go). Setup downloads carry
-- no Ids and cover nothing. Two exports more than the policy's
-- session_without_login.max_export_gap apart leave a gap that the history
-- does not cover (login_history_stretches in analyze/prelude.sql).
CREATE TABLE login_coverage (
    export      INTEGER NOT NULL,   -- sources.file of the export's first file
    first_login TIMESTAMP NOT NULL,
    last_login  TIMESTAMP NOT NULL
);

-- The name to print for each user_key of the tables above, from the users
-- export first, then the sessions and logins exports.
CREATE TABLE usernames (
    user_key VARCHAR NOT NULL,
    user_id  VARCHAR,
    username VARCHAR NOT NULL
);

-- Every distinct source IP of sessions and logins, in canonical form: the
-- checks classify these (ip_info) rather than pass over the rows again.
CREATE TABLE source_ips (
    ip VARCHAR NOT NULL
);

-- One row per input file, in the order given; src_file in the tables above
-- points here.
CREATE TABLE sources (
    file   INTEGER NOT NULL,
    path   VARCHAR NOT NULL,
    kind   VARCHAR NOT NULL,  -- sessions, logins, users or geo
    format VARCHAR NOT NULL   -- e.g. "Bulk API CSV (gzip)", "REST/sf JSON", "Setup download CSV"
);

-- One row per input row that was not loaded, with the reason in words. A CSV
-- line counts records, so a quoted value spanning lines counts once; a JSON
-- row gives the line its record starts on.
CREATE TABLE rejects (
    file   VARCHAR NOT NULL,
    line   BIGINT,
    field  VARCHAR,
    reason VARCHAR NOT NULL,
    value  VARCHAR
);

-- Each rejected row of a login export with Ids (not a Setup download), with
-- its LoginHistory Id when that could be read (else NULL) and its reject (as
-- in rejects): a session naming such a login is not without a login but
-- without a readable one, and session_without_login says so; a session whose
-- login is missing may be one of the rows whose Id could not be read.
CREATE TABLE rejected_logins (
    id     VARCHAR,
    file   VARCHAR NOT NULL,
    line   BIGINT,
    reason VARCHAR NOT NULL
);
