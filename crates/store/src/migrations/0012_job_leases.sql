-- A running job holds a lease: the server that runs it pushes `lease_until` forward while it
-- works (a heartbeat). A server that dies mid-run stops doing so, and once the lease has run out
-- the next scheduler tick on any server takes the run over (`attempt` + 1). Take-over is one
-- guarded UPDATE, so exactly one server wins it, on SQLite and PostgreSQL alike.
ALTER TABLE jobs ADD COLUMN lease_until BIGINT;
ALTER TABLE jobs ADD COLUMN attempt BIGINT NOT NULL DEFAULT 1;
-- runs left `running` by a crash before leases existed: expired, so they are taken over
UPDATE jobs SET lease_until = claimed_at WHERE status = 'running';
