#!/bin/sh
# A source deploy: the service gets the image's GUNICORN_CMD_ARGS unless the command sets it.
gcloud run deploy svc --source . --region us-central1
