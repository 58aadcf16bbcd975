CREATE INDEX "artifacts_created_idx" ON "artifacts" USING btree ("created_at","id");
