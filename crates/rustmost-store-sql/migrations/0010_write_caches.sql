-- Write-cache change notifications: PostgreSQL only (its triggers). SQLite serves one node, so
-- this version changes nothing here; it exists so both trees keep the same versions.
SELECT 1;
