-- At most one public artifact per type, name and version: the next migration enforces it with a
-- unique index. Publishing used to check and then act, so concurrent publishes could leave public
-- twins; the index cannot be built over them. Of each set of twins the first activated (then
-- created) stays public and the others become private again, which loses nothing: their owners
-- still see them and may share them.
UPDATE "artifacts" AS a SET "visibility" = 'private'
WHERE a."visibility" = 'public'
  AND EXISTS (
    SELECT 1 FROM "artifacts" AS b
    WHERE b."visibility" = 'public' AND b."type_name" = a."type_name" AND b."name" = a."name" AND b."version" = a."version"
      AND (coalesce(b."activated_at", b."created_at"), b."created_at", b."id") < (coalesce(a."activated_at", a."created_at"), a."created_at", a."id")
  );
