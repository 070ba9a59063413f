-- tollgate schema, version 1: every table of the design. InnoDB, utf8mb4.
-- Money is BIGINT quota units (1 USD = 500,000) or BIGINT micro-USD.

CREATE TABLE users (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(64) NOT NULL,
    email VARCHAR(254) NULL,
    display_name VARCHAR(128) NULL,
    password_hash VARCHAR(255) NULL,
    role ENUM('user','admin') NOT NULL DEFAULT 'user',
    status ENUM('active','suspended','deleted') NOT NULL DEFAULT 'active',
    email_verified TINYINT(1) NOT NULL DEFAULT 0,
    plan ENUM('free','basic','pro') NOT NULL DEFAULT 'free',
    user_group VARCHAR(32) NOT NULL DEFAULT 'default',
    quota BIGINT NOT NULL DEFAULT 0,
    used_quota BIGINT NOT NULL DEFAULT 0,
    request_count BIGINT NOT NULL DEFAULT 0,
    topup_carry_micro BIGINT NOT NULL DEFAULT 0,
    partner_id BIGINT UNSIGNED NULL,
    external_user_id VARCHAR(100) NULL,
    phone VARCHAR(32) NULL,
    wechat_openid VARCHAR(128) NULL,
    wechat_unionid VARCHAR(128) NULL,
    alipay_userid VARCHAR(128) NULL,
    login_type ENUM('password','wechat','alipay','sms','email') NOT NULL DEFAULT 'password',
    is_external TINYINT(1) NOT NULL DEFAULT 0,
    external_data JSON NULL,
    settings JSON NULL,
    totp_secret VARCHAR(255) NULL,
    totp_enabled TINYINT(1) NOT NULL DEFAULT 0,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    last_login_at DATETIME(3) NULL,
    UNIQUE KEY uq_users_username (username),
    UNIQUE KEY uq_users_email (email),
    UNIQUE KEY uq_users_external (partner_id, external_user_id),
    KEY ix_users_status (status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE api_keys (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(128) NOT NULL DEFAULT '',
    description VARCHAR(512) NOT NULL DEFAULT '',
    prefix VARCHAR(16) NOT NULL,
    last4 CHAR(4) NOT NULL,
    key_hash BINARY(32) NOT NULL,
    status ENUM('active','suspended','revoked') NOT NULL DEFAULT 'active',
    services VARCHAR(64) NOT NULL DEFAULT 'claude,codex,openai',
    models TEXT NULL,
    ip_allow TEXT NULL,
    quota_limit BIGINT NULL,
    quota_used BIGINT NOT NULL DEFAULT 0,
    rpm INT NOT NULL DEFAULT 0,
    rpd INT NOT NULL DEFAULT 0,
    tpm INT NOT NULL DEFAULT 0,
    max_concurrency INT NOT NULL DEFAULT 0,
    expires_at DATETIME(3) NULL,
    request_count BIGINT NOT NULL DEFAULT 0,
    idempotency_key VARCHAR(128) NULL,
    last_used_at DATETIME(3) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_api_keys_hash (key_hash),
    UNIQUE KEY uq_api_keys_idem (user_id, idempotency_key),
    KEY ix_api_keys_user (user_id, status),
    CONSTRAINT fk_api_keys_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE channels (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(128) NOT NULL,
    type ENUM('openai','anthropic','openai-compatible') NOT NULL,
    base_url VARCHAR(512) NOT NULL,
    key_enc TEXT NULL,
    models TEXT NOT NULL,
    model_map JSON NULL,
    priority INT NOT NULL DEFAULT 0,
    weight INT NOT NULL DEFAULT 1,
    channel_group VARCHAR(32) NOT NULL DEFAULT 'default',
    status ENUM('enabled','disabled','auto_disabled') NOT NULL DEFAULT 'enabled',
    status_reason VARCHAR(255) NULL,
    connect_timeout INT NOT NULL DEFAULT 0,
    total_timeout INT NOT NULL DEFAULT 0,
    last_error VARCHAR(255) NULL,
    last_error_at DATETIME(3) NULL,
    response_ms INT NOT NULL DEFAULT 0,
    tested_at DATETIME(3) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_channels_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE prices (
    model VARCHAR(128) NOT NULL PRIMARY KEY,
    input_micro BIGINT NOT NULL DEFAULT 0,
    output_micro BIGINT NOT NULL DEFAULT 0,
    cache_read_micro BIGINT NOT NULL DEFAULT 0,
    cache_write_micro BIGINT NOT NULL DEFAULT 0,
    cache_write_1h_micro BIGINT NOT NULL DEFAULT 0,
    max_output INT NOT NULL DEFAULT 0,
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE group_multipliers (
    user_group VARCHAR(32) NOT NULL PRIMARY KEY,
    multiplier_ppm BIGINT NOT NULL DEFAULT 1000000
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO group_multipliers (user_group, multiplier_ppm) VALUES ('default', 1000000);

CREATE TABLE partners (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(128) NOT NULL,
    key_id VARCHAR(64) NOT NULL,
    secret_enc TEXT NOT NULL,
    secret_prev_enc TEXT NULL,
    status ENUM('active','disabled') NOT NULL DEFAULT 'active',
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_partners_key (key_id),
    UNIQUE KEY uq_partners_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE topups (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT UNSIGNED NOT NULL,
    amount_micro_usd BIGINT NOT NULL,
    quota BIGINT NOT NULL,
    source VARCHAR(48) NOT NULL,
    payment_id VARCHAR(128) NOT NULL,
    payment_method VARCHAR(64) NULL,
    note VARCHAR(255) NULL,
    fingerprint BINARY(32) NOT NULL,
    balance_after BIGINT NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_topups_payment (source, payment_id),
    KEY ix_topups_user (user_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The money ledger: every change of users.quota has one row. Reservations are rows in
-- state 'reserved' until settled or released.
CREATE TABLE ledger (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT UNSIGNED NOT NULL,
    key_id BIGINT UNSIGNED NULL,
    kind ENUM('topup','grant','charge','refund','adjust') NOT NULL,
    request_id VARCHAR(40) NULL,
    topup_id BIGINT UNSIGNED NULL,
    reserved BIGINT NOT NULL DEFAULT 0,
    amount BIGINT NOT NULL,
    state ENUM('reserved','settled','released') NOT NULL DEFAULT 'settled',
    worker VARCHAR(64) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    settled_at DATETIME(3) NULL,
    UNIQUE KEY uq_ledger_request (request_id),
    KEY ix_ledger_user (user_id, created_at),
    KEY ix_ledger_state (state, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE usage_logs (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    request_id VARCHAR(40) NOT NULL,
    user_id BIGINT UNSIGNED NOT NULL,
    key_id BIGINT UNSIGNED NULL,
    channel_id BIGINT UNSIGNED NULL,
    service VARCHAR(16) NOT NULL DEFAULT '',
    model VARCHAR(128) NOT NULL DEFAULT '',
    endpoint VARCHAR(64) NOT NULL DEFAULT '',
    input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    quota BIGINT NOT NULL DEFAULT 0,
    duration_ms INT NOT NULL DEFAULT 0,
    ttfb_ms INT NOT NULL DEFAULT 0,
    is_stream TINYINT(1) NOT NULL DEFAULT 0,
    status INT NOT NULL DEFAULT 0,
    estimated TINYINT(1) NOT NULL DEFAULT 0,
    error_class VARCHAR(32) NULL,
    client_ip VARCHAR(45) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_usage_request (request_id),
    KEY ix_usage_user_time (user_id, created_at),
    KEY ix_usage_key_time (key_id, created_at),
    KEY ix_usage_time (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE sessions (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT UNSIGNED NOT NULL,
    family CHAR(32) NOT NULL,
    token_hash BINARY(32) NOT NULL,
    state ENUM('active','rotated','revoked') NOT NULL DEFAULT 'active',
    remember TINYINT(1) NOT NULL DEFAULT 0,
    ip VARCHAR(45) NULL,
    user_agent VARCHAR(255) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    expires_at DATETIME(3) NOT NULL,
    UNIQUE KEY uq_sessions_token (token_hash),
    KEY ix_sessions_family (family),
    KEY ix_sessions_user (user_id, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE login_events (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT UNSIGNED NULL,
    login VARCHAR(254) NOT NULL,
    ok TINYINT(1) NOT NULL,
    ip VARCHAR(45) NULL,
    user_agent VARCHAR(255) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    KEY ix_login_events_user (user_id, created_at),
    KEY ix_login_events_ip (ip, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE email_tokens (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT UNSIGNED NOT NULL,
    purpose ENUM('verify','reset') NOT NULL,
    token_hash BINARY(32) NOT NULL,
    used_at DATETIME(3) NULL,
    expires_at DATETIME(3) NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_email_tokens_hash (token_hash),
    KEY ix_email_tokens_user (user_id, purpose)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Rate limits: GCRA for rpm, day counters for rpd, minute token counters for tpm,
-- expiring leases for concurrency, failure counters for login throttling.
CREATE TABLE key_rate (
    key_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    tat BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB;

CREATE TABLE key_day (
    key_id BIGINT UNSIGNED NOT NULL,
    day DATE NOT NULL,
    n INT NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day)
) ENGINE=InnoDB;

CREATE TABLE key_tokens_minute (
    key_id BIGINT UNSIGNED NOT NULL,
    minute BIGINT NOT NULL,
    tokens BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, minute)
) ENGINE=InnoDB;

CREATE TABLE key_leases (
    request_id VARCHAR(40) NOT NULL PRIMARY KEY,
    key_id BIGINT UNSIGNED NOT NULL,
    expires_at BIGINT NOT NULL,
    KEY ix_key_leases_key (key_id, expires_at)
) ENGINE=InnoDB;

CREATE TABLE throttle (
    subject VARCHAR(300) NOT NULL PRIMARY KEY,
    failures INT NOT NULL DEFAULT 0,
    window_start BIGINT NOT NULL DEFAULT 0,
    blocked_until BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE nonces (
    partner_id BIGINT UNSIGNED NOT NULL,
    nonce VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (partner_id, nonce),
    KEY ix_nonces_time (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=ascii;

CREATE TABLE audit_log (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    actor_user_id BIGINT UNSIGNED NULL,
    actor_partner_id BIGINT UNSIGNED NULL,
    action VARCHAR(64) NOT NULL,
    target_type VARCHAR(32) NOT NULL,
    target_id VARCHAR(64) NULL,
    detail JSON NULL,
    ip VARCHAR(45) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    KEY ix_audit_target (target_type, target_id),
    KEY ix_audit_time (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE redemptions (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code_hash BINARY(32) NOT NULL,
    quota BIGINT NOT NULL,
    status ENUM('unused','used','disabled') NOT NULL DEFAULT 'unused',
    used_by BIGINT UNSIGNED NULL,
    used_at DATETIME(3) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_redemptions_code (code_hash)
) ENGINE=InnoDB;
