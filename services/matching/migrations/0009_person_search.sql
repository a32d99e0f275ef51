-- Person search (services/matching/person_search.py, directory.py): staff find a person by the beginning of a
-- name, reading or address, by a given name, birth date, phone, postal code or 宛名番号, all as normalised.
-- text_pattern_ops serves LIKE 'prefix%' whatever the database's collation.
CREATE INDEX person_records_search_name ON person_records ((normalised->>'name') text_pattern_ops);
CREATE INDEX person_records_search_given_name ON person_records ((normalised->>'given_name'));
CREATE INDEX person_records_search_kana ON person_records ((normalised->>'name_kana') text_pattern_ops);
CREATE INDEX person_records_search_given_kana ON person_records ((normalised->>'given_kana'));
CREATE INDEX person_records_search_address ON person_records ((normalised->>'address') text_pattern_ops);
CREATE INDEX person_records_search_birth_date ON person_records ((normalised->>'birth_date'));
CREATE INDEX person_records_search_phone ON person_records ((normalised->>'phone'));
CREATE INDEX person_records_search_register ON person_records ((normalised->>'register_number'));
CREATE INDEX person_records_search_postal_code ON person_records ((normalised->>'postal_code'));
