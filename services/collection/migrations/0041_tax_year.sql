-- 相当年度: the year a tax or premium is for when it differs from 年度 (過年度分 assessed later), as the department's
-- assessment says (ClaimAssessed v3 tax_year; the standard link's 相当年度). NULL: the same as 年度 (or not said).
ALTER TABLE claims ADD COLUMN tax_year integer CHECK (tax_year BETWEEN 1989 AND 2200);
ALTER TABLE department_feed ADD COLUMN tax_year integer;
