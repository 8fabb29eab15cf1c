-- 0007_application_id: stamps the database file as a Schedbench database.
--
-- PRAGMA application_id is a 32-bit integer in the SQLite file header (offset 68) that tools such
-- as `file(1)` read to tell which application a database belongs to. Schedbench's is 0x53434842
-- ("SCHB" in ASCII, 1396918338; SCHEDBENCH_APPLICATION_ID in runner/store/open-database.ts).
-- openDatabase refuses to migrate a database that has tables but neither this id nor a
-- schedbench schema_migrations table: it belongs to another application.

PRAGMA application_id = 1396918338;
