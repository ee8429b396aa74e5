{{/* The chart's name, overridable. */}}
{{- define "pytuner.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name when it already holds the chart's name, else <release>-<chart>. */}}
{{- define "pytuner.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "pytuner.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "pytuner.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the controller's pods (immutable in a Deployment's selector). */}}
{{- define "pytuner.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pytuner.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The ServiceAccount the controller runs as. */}}
{{- define "pytuner.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pytuner.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference: repository@digest, else repository:tag (tag defaults to appVersion). */}}
{{- define "pytuner.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Lease the replicas elect a leader with, in the release namespace. */}}
{{- define "pytuner.leaseName" -}}
{{- include "pytuner.fullname" . }}
{{- end }}

{{/* A shard's Deployment (and PodDisruptionBudget): the full name, suffixed -shard-<i> when there are several. Takes a dict with Values, Release, Chart and shard. */}}
{{- define "pytuner.shardName" -}}
{{- if gt (int .Values.shards) 1 }}
{{- printf "%s-shard-%d" (include "pytuner.fullname" .) (int .shard) }}
{{- else }}
{{- include "pytuner.fullname" . }}
{{- end }}
{{- end }}

{{/* The label that tells one shard's pods from another's (only with shards > 1). */}}
{{- define "pytuner.shardLabel" -}}
pytuner.dev/shard: {{ .shard | quote }}
{{- end }}

{{/* A duration as the controller's flags take it (90s, 1m30s, 300ms, 1h), in seconds, as a float. */}}
{{- define "pytuner.seconds" -}}
{{- $total := 0.0 }}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ms|s|m|h)" . -1 }}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" . }}
{{- $unit := trimPrefix $number . }}
{{- $scale := get (dict "ms" 0.001 "s" 1.0 "m" 60.0 "h" 3600.0) $unit }}
{{- $total = addf $total (mulf (float64 $number) $scale) }}
{{- end }}
{{- $total }}
{{- end }}

{{/*
Refuses leader-election timing the controller would crash-loop on: a replica must renew its Lease (renewDeadline)
before the Lease runs out (leaseDuration), and retry (retryPeriod) within renewDeadline. values.schema.json checks
each is a duration; it cannot compare two.
*/}}
{{- define "pytuner.checkLeaderElection" -}}
{{- $lease := include "pytuner.seconds" .Values.controller.leaseDuration | float64 }}
{{- $renew := include "pytuner.seconds" .Values.controller.renewDeadline | float64 }}
{{- $retry := include "pytuner.seconds" .Values.controller.retryPeriod | float64 }}
{{- if ge $renew $lease }}
{{- fail (printf "controller.renewDeadline (%s) must be shorter than controller.leaseDuration (%s)" .Values.controller.renewDeadline .Values.controller.leaseDuration) }}
{{- end }}
{{- if ge $retry $renew }}
{{- fail (printf "controller.retryPeriod (%s) must be shorter than controller.renewDeadline (%s)" .Values.controller.retryPeriod .Values.controller.renewDeadline) }}
{{- end }}
{{- end }}
