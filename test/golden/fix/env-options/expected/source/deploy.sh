#!/bin/sh
# A source deploy: the service gets the image's GUNICORN_CMD_ARGS unless the command sets it.
gcloud run deploy svc --concurrency=8 '--update-env-vars=GUNICORN_CMD_ARGS=--workers 1 --threads 8 --timeout 0 --preload' --source . --region us-central1
