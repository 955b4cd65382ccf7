-- A re-delivered event looks up the journeys it entered already (workers/dispatcher.py).
CREATE INDEX journey_entries_entry_event ON journey_entries (entry_event_id)
    WHERE entry_event_id IS NOT NULL;
