-- What was last published of each debtor's standing to the welfare side (services/collection/standing.py):
-- a standing is published again only when its facts change.
CREATE TABLE debtor_standings (
    debtor_id     text PRIMARY KEY,
    fingerprint   text NOT NULL,
    version       integer NOT NULL,
    published_on  date NOT NULL
);

-- A hold now names the welfare referral that opened it, so the referral's changes (ReferralChanged on
-- welfare.referrals.v1) update and end exactly that hold; the last version applied makes replays harmless.
ALTER TABLE collection_holds ADD COLUMN source_ref text;
ALTER TABLE collection_holds ADD COLUMN source_version integer;
CREATE UNIQUE INDEX collection_holds_source ON collection_holds (source_ref) WHERE source_ref IS NOT NULL;
