-- Version 9 -> 10: the poster or cover picture of a video or sound attachment (issue 9), so
-- that `tagstory media` archives it and a story shows it offline in place of the first frame.
ALTER TABLE media ADD COLUMN preview_url TEXT;
