"""Numbered migrations. Each entry upgrades the catalog from version N-1 to N in one transaction.

Never edit a released migration: append a new one.
"""

MIGRATIONS: list[str] = [
    # 1: the whole first schema.
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT INTO meta(key, value) VALUES ('revision', '0');

    -- Roots the user added.
    CREATE TABLE folders (
        id        INTEGER PRIMARY KEY,
        path      TEXT NOT NULL UNIQUE,
        added_at  REAL NOT NULL
    );

    CREATE TABLE photos (
        id              INTEGER PRIMARY KEY,
        folder_id       INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        path            TEXT NOT NULL UNIQUE,
        size            INTEGER NOT NULL,
        mtime_ns        INTEGER NOT NULL,
        fingerprint     TEXT,            -- recognises a moved or renamed file
        width           INTEGER,         -- after orientation
        height          INTEGER,
        orientation     INTEGER,         -- EXIF 1..8, NULL when absent
        taken_at        TEXT,            -- ISO 8601, local time as the camera wrote it
        taken_at_source TEXT,            -- exif_original | exif_digitized | exif_datetime | file_mtime
        gps_lat         REAL,
        gps_lon         REAL,
        camera_make     TEXT,
        camera_model    TEXT,
        status          TEXT NOT NULL DEFAULT 'pending',   -- pending | indexed | error
        error           TEXT,
        indexed_at      REAL,
        model_id        TEXT
    );
    CREATE INDEX photos_folder ON photos(folder_id);
    CREATE INDEX photos_fingerprint ON photos(fingerprint);
    CREATE INDEX photos_status ON photos(status);
    CREATE INDEX photos_taken ON photos(taken_at);

    CREATE TABLE people (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT,               -- NULL for an unnamed group
        hidden        INTEGER NOT NULL DEFAULT 0,
        cover_face_id INTEGER,            -- faces.id, no FK to avoid a cycle; checked by queries
        created_at    REAL NOT NULL,
        updated_at    REAL NOT NULL
    );
    CREATE INDEX people_name ON people(name);

    -- AUTOINCREMENT: ids never come back, so "faces with id > N" is exactly "added since N".
    CREATE TABLE faces (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,  -- oriented pixels
        landmarks   BLOB NOT NULL,        -- 5x2 float32, oriented pixels
        det_score   REAL NOT NULL,
        size        REAL NOT NULL,        -- min(width, height) of the box in oriented pixels
        quality     REAL NOT NULL,        -- 0..1, higher is better
        usable      INTEGER NOT NULL,     -- 0: too small or too poor to cluster
        embedding   BLOB NOT NULL,        -- 512 float32, L2-normalised
        model_id    TEXT NOT NULL,
        person_id   INTEGER REFERENCES people(id) ON DELETE SET NULL,
        assigned_by TEXT,                 -- NULL | cluster | auto | user
        ignored     INTEGER NOT NULL DEFAULT 0,
        created_at  REAL NOT NULL
    );
    CREATE INDEX faces_photo ON faces(photo_id);
    CREATE INDEX faces_person ON faces(person_id);

    -- "Not this person": never offer this face to this person again.
    CREATE TABLE face_rejections (
        face_id   INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
        person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        at        REAL NOT NULL,
        PRIMARY KEY (face_id, person_id)
    );
    CREATE INDEX face_rejections_person ON face_rejections(person_id);

    -- Suggestions below the auto-assign bar, for the review queue.
    CREATE TABLE suggestions (
        face_id    INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
        person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        score      REAL NOT NULL,
        PRIMARY KEY (face_id, person_id)
    );
    CREATE INDEX suggestions_person ON suggestions(person_id, score);

    -- Undo log for people operations: JSON describing how to restore the previous state.
    CREATE TABLE undo_log (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        action     TEXT NOT NULL,
        payload    TEXT NOT NULL,
        at         REAL NOT NULL
    );

    CREATE TABLE albums (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        query       TEXT NOT NULL,        -- JSON
        destination TEXT NOT NULL,
        options     TEXT NOT NULL,        -- JSON: mode, template, xmp, subfolders
        created_at  REAL NOT NULL,
        exported_at REAL
    );
    -- Files an album export wrote itself: the only files a re-export may remove.
    CREATE TABLE album_files (
        album_id    INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
        photo_id    INTEGER,
        dest_path   TEXT NOT NULL,
        size        INTEGER,
        exported_at REAL NOT NULL,
        PRIMARY KEY (album_id, dest_path)
    );

    -- The revision counter bumps on every change to faces (search index staleness, GUI refresh).
    CREATE TRIGGER faces_rev_insert AFTER INSERT ON faces BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision';
    END;
    CREATE TRIGGER faces_rev_delete AFTER DELETE ON faces BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision';
    END;
    CREATE TRIGGER faces_rev_update AFTER UPDATE ON faces BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision';
    END;
    """,
    # 2: export bookkeeping. A re-export may only remove a file it wrote and that nobody changed
    # since (size + mtime), and must tell a photo from its XMP sidecar and which per-person
    # sub-folder ("slot") a copy belongs to.
    """
    ALTER TABLE album_files ADD COLUMN mtime_ns INTEGER;
    ALTER TABLE album_files ADD COLUMN kind TEXT NOT NULL DEFAULT 'photo';  -- photo | xmp
    ALTER TABLE album_files ADD COLUMN slot TEXT NOT NULL DEFAULT '';
    CREATE INDEX album_files_photo ON album_files(album_id, photo_id);
    """,
    # 3: which original an album file was made from, as it was then (path, size, mtime), and
    # whose per-person folder it sits in. A photo id may be reused after a photo is deleted:
    # the album must not mistake a new photo for the one it copied. An edited original is
    # told by comparing it with its own state at export time (not the copy's mtime, which
    # FAT or SMB round). A renamed person's files are followed by id, not by folder name.
    """
    ALTER TABLE album_files ADD COLUMN source_path TEXT;
    ALTER TABLE album_files ADD COLUMN source_size INTEGER;
    ALTER TABLE album_files ADD COLUMN source_mtime_ns INTEGER;
    ALTER TABLE album_files ADD COLUMN person_id INTEGER;

    -- Photo ids are never reused: SQLite gives a new row the highest id + 1, so deleting the
    -- newest photo would hand its id to the next one, and a saved selection or an album's
    -- bookkeeping would take the newcomer for the photo it knew. The scan inserts above this.
    INSERT OR IGNORE INTO meta(key, value) SELECT 'photo_id_high', COALESCE(MAX(id), 0)
        FROM photos;
    CREATE TRIGGER photos_id_high AFTER DELETE ON photos BEGIN
        UPDATE meta SET value = MAX(CAST(value AS INTEGER), OLD.id) WHERE key = 'photo_id_high';
    END;
    """,
    # 4: where a merged person went, so that a saved album asking for them follows the merge.
    """
    CREATE TABLE person_merges (
        source INTEGER PRIMARY KEY,      -- the id that is gone
        target INTEGER NOT NULL          -- the person its faces joined
    );
    """,
    # 5: an album file being replaced by a newer version: the state it will have, recorded
    # before the replacement, so that a kill at any point leaves a file the album knows.
    """
    ALTER TABLE album_files ADD COLUMN pending_size INTEGER;
    ALTER TABLE album_files ADD COLUMN pending_mtime_ns INTEGER;
    """,
    # 6: faces made from another program's face tags (a region the detector did not find),
    # and what reading a photo's tags had to say: problems (malformed XMP, a region outside
    # the picture), conflicts with the user's own naming, names offered without a box.
    """
    ALTER TABLE faces ADD COLUMN source TEXT;      -- NULL: detected | imported
    CREATE TABLE tag_notes (
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        kind     TEXT NOT NULL,                   -- problem | conflict | offer
        source   TEXT,                            -- mwg | mp | picasa | takeout | iptc
        message  TEXT NOT NULL,
        at       REAL NOT NULL
    );
    CREATE INDEX tag_notes_photo ON tag_notes(photo_id);
    """,
    # 7: what people lists and `status` count, readable without the face rows. Each row holds
    # a 2 KB embedding, so counting faces per person (and their photos, their best face for a
    # cover) read the whole table: 0.5-1.5 s at 100k faces. From this index: milliseconds.
    # It starts with person_id, so it serves every lookup faces_person served; that one goes
    # (left, the planner would prefer it, being narrower, and read the rows again). Ids come
    # third: a walk over one person's entries meets their faces in id order.
    """
    CREATE INDEX faces_person_summary ON faces(person_id, ignored, id, quality, photo_id,
                                               usable);
    DROP INDEX faces_person;
    """,
    # 8: a review question that comes from a photo's own tags: a name written there without a
    # box (Google Takeout, IPTC PersonInImage, a region too vague to match) is offered for each
    # unnamed face of the photo. Recognition's regrouping keeps these (it rescores only its own).
    """
    ALTER TABLE suggestions ADD COLUMN source TEXT;   -- NULL: recognition | tags
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
