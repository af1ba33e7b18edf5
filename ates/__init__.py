"""What the domains run on, and the one place that puts the app together.

`settings` (from the environment) and `database` (the engine, the units of work, the table
types) import nothing of the app; `bootstrap` is the composition root, the only module that
knows every domain; `worker` is the Dramatiq entry point (`dramatiq ates.worker`);
`gunicorn_config` holds gunicorn's hooks for the web processes.
"""
