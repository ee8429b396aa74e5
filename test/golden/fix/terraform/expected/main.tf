# Two Cloud Run services in Terraform: --fix edits their attributes in place and keeps everything else.
resource "google_cloud_run_v2_service" "api" {
  name     = "api"
  location = "europe-west1"

  template {
    max_instance_request_concurrency = 16
    service_account = "api@shop-prod.iam.gserviceaccount.com" # the runtime identity

    containers {
      image = "europe-docker.pkg.dev/shop-prod/apps/api:1.4.2"
      args  = ["gunicorn", "--bind", ":8080", "--workers", "2", "--threads", "8", "--preload", "main:app"]

      env {
        name  = "LOG_LEVEL"
        value = "info"
      }
      env {
        name  = "GUNICORN_CMD_ARGS"
        value = "--timeout 0"
      }

      resources {
        limits = {
          cpu    = "2"
          memory = "1Gi"
        }
      }

      startup_probe {
        period_seconds    = 2
        failure_threshold = 30
        http_get {
          path = "/healthz"
          port = 8080
        }
      }
    }
  }
}

resource "google_cloud_run_service" "events" {
  name     = "events"
  location = "europe-west1"

  template {
    metadata {
      annotations = {
        "autoscaling.knative.dev/maxScale" = "20"
      }
    }
    spec {
      container_concurrency = 80
      containers {
        image   = "europe-docker.pkg.dev/shop-prod/apps/events:2.0.0"
        command = ["uvicorn", "events:app", "--host", "0.0.0.0", "--port", "8080", "--workers", "1"]
      }
    }
  }
}
