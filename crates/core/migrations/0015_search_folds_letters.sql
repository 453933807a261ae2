-- Search folds the letters Unicode does not decompose, as people type them without their marks
-- (ł as l, ø as o, æ as ae, ß as ss, ı as i, đ and ð as d, þ as th, ħ as h), and drops
-- apostrophes (O'Brien as obrien): `unicode61 remove_diacritics 2` folds only accents that
-- decompose (é, ü, ñ). The names, companies and notes the index holds are folded so here, and
-- store::search::fold folds what is typed the same way. Only text with a character outside
-- printable ASCII, or an apostrophe, goes through the replacements (the GLOB is the cheap test
-- a big import pays per lead). The index is rebuilt from the leads.
DROP VIEW lead_search_docs;
CREATE VIEW lead_search_docs (seq, sort_key, full_name, email, phone, company, notes) AS
    SELECT seq, sort_key,
           CASE WHEN full_name GLOB '*[^ -~]*' OR instr(full_name, '''') THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(full_name, 'ł', 'l'), 'Ł', 'L'), 'ø', 'o'), 'Ø', 'O'), 'æ', 'ae'), 'Æ', 'AE'), 'œ', 'oe'), 'Œ', 'OE'), 'ß', 'ss'), 'ẞ', 'SS'), 'ı', 'i'), 'đ', 'd'), 'Đ', 'D'), 'ð', 'd'), 'Ð', 'D'), 'þ', 'th'), 'Þ', 'TH'), 'ħ', 'h'), 'Ħ', 'H'), '''', ''), '’', '') ELSE full_name END,
           email,
           coalesce(phone, '') || ' ' || coalesce(phone_digits, '') || ' ' ||
           coalesce(substr(phone_digits, -10) || ' ' || substr(phone_digits, -7) || ' ' ||
                    substr(phone_digits, -4), ''),
           CASE WHEN company GLOB '*[^ -~]*' OR instr(company, '''') THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(company, 'ł', 'l'), 'Ł', 'L'), 'ø', 'o'), 'Ø', 'O'), 'æ', 'ae'), 'Æ', 'AE'), 'œ', 'oe'), 'Œ', 'OE'), 'ß', 'ss'), 'ẞ', 'SS'), 'ı', 'i'), 'đ', 'd'), 'Đ', 'D'), 'ð', 'd'), 'Ð', 'D'), 'þ', 'th'), 'Þ', 'TH'), 'ħ', 'h'), 'Ħ', 'H'), '''', ''), '’', '') ELSE company END,
           CASE WHEN notes_text GLOB '*[^ -~]*' OR instr(notes_text, '''') THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(notes_text, 'ł', 'l'), 'Ł', 'L'), 'ø', 'o'), 'Ø', 'O'), 'æ', 'ae'), 'Æ', 'AE'), 'œ', 'oe'), 'Œ', 'OE'), 'ß', 'ss'), 'ẞ', 'SS'), 'ı', 'i'), 'đ', 'd'), 'Đ', 'D'), 'ð', 'd'), 'Ð', 'D'), 'þ', 'th'), 'Þ', 'TH'), 'ħ', 'h'), 'Ħ', 'H'), '''', ''), '’', '') ELSE notes_text END
    FROM leads;

INSERT INTO leads_fts (leads_fts) VALUES ('delete-all');
INSERT INTO leads_fts (rowid, full_name, email, phone, company, notes)
    SELECT sort_key, full_name, email, phone, company, notes FROM lead_search_docs ORDER BY sort_key;
