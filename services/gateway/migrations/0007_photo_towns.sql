-- The town of the village a photo came from, as the uploader's token named it, so that a town
-- official sees the photos of their own town's villages only. 0 where the token named no town
-- (rows from before this migration too): such a photo is not shown to town officials.
ALTER TABLE photo_villages ADD COLUMN town_id BIGINT NOT NULL DEFAULT 0 AFTER village_id,
  ADD KEY photo_villages_town (photo_ref, town_id);
