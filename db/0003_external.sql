-- External users: a partner's contact e-mail for its user. users.email is unique across
-- all users and serves portal logins, so a partner's value lives apart from it: two
-- partners (or a partner and a portal user) may hold the same address without one being
-- refused or learning about the other.
ALTER TABLE users ADD COLUMN contact_email VARCHAR(254) NULL AFTER external_user_id;

