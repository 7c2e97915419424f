"""Git at the edge: config read from commits, what a pull request changed, the reconcile loop.

    repo.py       open a repository or a mirror, fetch, resolve refs, read YAML blobs (GitPython)
    config.py     load a commit's documents, pull-request changes against the merge base
    changes.py    changed documents between two desired states, unexplained drift (pure)
    lastgood.py   the last good commit per repo+ref; choosing a cycle's commit
    loop.py       the reconcile loop around the engine's cycle function
    outcome.py    CycleResult (the engine's answer) and CycleOutcome (what the loop records)
    objects.py    the drifted/pending/blocked/failed objects of a cycle, capped (pure)
    status.py     <state>/reconcile/status.json
    metrics.py    Prometheus metrics on a private registry
    notify.py     webhook on drift, healing and failure
    webhook_body.py  the webhook body: generic, Slack or Teams (pure)

Only ``repo.py`` imports GitPython; nothing here talks to the control plane.
"""
