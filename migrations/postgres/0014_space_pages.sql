-- What guests see of a space beyond its name and prices: its description
-- and what is included (backgrounds, light, props) in Russian and English,
-- its area and ceiling height. One JSON document, read and written whole.
-- The one-language description becomes the English text (the seed wrote
-- English); Russian pages show it until a Russian one is written.
ALTER TABLE spaces ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
UPDATE spaces SET details = json_build_object('description', json_build_object('en', description))::text WHERE description <> '';
ALTER TABLE spaces DROP COLUMN description;

-- Photos of the spaces and the studio's logo. The original is not kept:
-- each upload is stored as the sizes pages ask for, in WebP and JPEG,
-- so a guest's phone downloads the smallest that fills its screen.
CREATE TABLE images (
    id          TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('space', 'logo')),
    space_id    TEXT    REFERENCES spaces (id) ON DELETE CASCADE,
    -- {"ru": "…", "en": "…"}: what the photo shows, for screen readers.
    alt         TEXT    NOT NULL DEFAULT '{}',
    -- Of the largest stored size; every size keeps the aspect ratio.
    width       INTEGER NOT NULL CHECK (width > 0),
    height      INTEGER NOT NULL CHECK (height > 0),
    sort_order  INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL,
    CHECK ((kind = 'space') = (space_id IS NOT NULL))
);
CREATE INDEX images_by_space ON images (space_id, sort_order, created_at);

CREATE TABLE image_files (
    image_id  TEXT    NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    width     INTEGER NOT NULL,
    format    TEXT    NOT NULL CHECK (format IN ('webp', 'jpeg')),
    bytes     BYTEA   NOT NULL,
    PRIMARY KEY (image_id, width, format)
);
