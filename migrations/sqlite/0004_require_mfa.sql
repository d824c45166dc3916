-- Owners may require two-factor sign-in for all staff.
ALTER TABLE studio_settings ADD COLUMN require_mfa BOOLEAN NOT NULL DEFAULT FALSE;
