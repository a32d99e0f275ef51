-- A review item is a proposed merge (two identities that may be one person: from matching's doubt, or from
-- re-scoring with a model version that would link them) or a proposed split (two records of one identity that a
-- model version would no longer link). Both wait for a person: identities never change silently.
ALTER TABLE review_queue ADD COLUMN kind text NOT NULL DEFAULT 'merge' CHECK (kind IN ('merge', 'split'));
