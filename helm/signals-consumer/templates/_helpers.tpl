{{/* Chart name (nameOverride wins). */}}
{{- define "signals-consumer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: <release>-<chart> unless the release already contains it. */}}
{{- define "signals-consumer.fullname" -}}
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

{{- define "signals-consumer.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable for the life of the release (Deployment selectors are immutable). */}}
{{- define "signals-consumer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "signals-consumer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Standard labels: on every object the chart renders. */}}
{{- define "signals-consumer.labels" -}}
helm.sh/chart: {{ include "signals-consumer.chart" . }}
{{ include "signals-consumer.selectorLabels" . }}
app.kubernetes.io/version: {{ (.Values.image.tag | default .Chart.AppVersion) | toString | trunc 63 | quote }}
app.kubernetes.io/component: consumer
app.kubernetes.io/part-of: connect-signals
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "signals-consumer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "signals-consumer.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "signals-consumer.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
Secret environment variables: SIGNALS_* name -> key in secrets.existingSecret (only those whose
key name is set). Values never appear in the chart; pods read them with secretKeyRef.
*/}}
{{- define "signals-consumer.secretEnv" -}}
{{- $keys := .Values.secrets.keys }}
{{- $map := dict
  "SIGNALS_CONNECT_API_KEY" $keys.connectApiKey
  "SIGNALS_KAFKA_SASL_USERNAME" $keys.kafkaSaslUsername
  "SIGNALS_KAFKA_SASL_PASSWORD" $keys.kafkaSaslPassword
  "SIGNALS_KAFKA_OAUTH_CLIENT_SECRET" $keys.kafkaOauthClientSecret
  "SIGNALS_KAFKA_SSL_KEY_PASSWORD" $keys.kafkaSslKeyPassword
  "SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH" $keys.schemaRegistryBasicAuth
  "SIGNALS_SCHEMA_REGISTRY_BEARER_TOKEN" $keys.schemaRegistryBearerToken
  "SIGNALS_SCHEMA_REGISTRY_KEY_PASSWORD" $keys.schemaRegistryKeyPassword
}}
{{- range $name := keys $map | sortAlpha }}
{{- $key := get $map $name }}
{{- if $key }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.secrets.existingSecret | quote }}
      key: {{ $key | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Kafka settings shared by the consumer and the KEDA scaler. */}}
{{- define "signals-consumer.bootstrapServers" -}}
{{- .Values.autoscaling.keda.bootstrapServers | default (get .Values.config "SIGNALS_KAFKA_BOOTSTRAP_SERVERS") | default "localhost:9092" }}
{{- end }}

{{- define "signals-consumer.groupId" -}}
{{- .Values.autoscaling.keda.consumerGroup | default (get .Values.config "SIGNALS_KAFKA_GROUP_ID") | default "connect-signals-consumer" }}
{{- end }}

{{/* Cross-value checks a JSON schema cannot express; every template includes this. */}}
{{- define "signals-consumer.validate" -}}
{{- $drain := .Values.drainTimeoutSeconds | float64 }}
{{- $grace := .Values.terminationGracePeriodSeconds | float64 }}
{{- if le $grace $drain }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be greater than drainTimeoutSeconds (%v): the pod must be allowed to drain before it is killed" .Values.terminationGracePeriodSeconds .Values.drainTimeoutSeconds) }}
{{- end }}
{{- if and .Values.autoscaling.keda.enabled .Values.autoscaling.hpa.enabled }}
{{- fail "autoscaling.keda.enabled and autoscaling.hpa.enabled are mutually exclusive (KEDA creates its own HPA)" }}
{{- end }}
{{- if .Values.autoscaling.keda.enabled }}
{{- $k := .Values.autoscaling.keda }}
{{- if gt (int $k.maxReplicaCount) (int $k.partitions) }}
{{- fail (printf "autoscaling.keda.maxReplicaCount (%v) must be <= autoscaling.keda.partitions (%v): a consumer without a partition is idle" $k.maxReplicaCount $k.partitions) }}
{{- end }}
{{- if gt (int $k.minReplicaCount) (int $k.maxReplicaCount) }}
{{- fail "autoscaling.keda.minReplicaCount must be <= autoscaling.keda.maxReplicaCount" }}
{{- end }}
{{- if and $k.auth.enabled (ne $k.auth.sasl "none") }}
{{- if not (and (include "signals-consumer.kedaUsernameKey" .) (include "signals-consumer.kedaPasswordKey" .)) }}
{{- fail "autoscaling.keda.auth with SASL needs the username and password keys of secrets.existingSecret (autoscaling.keda.auth.usernameKey/passwordKey or secrets.keys.kafkaSaslUsername/kafkaSaslPassword)" }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.autoscaling.hpa.enabled }}
{{- if gt (int .Values.autoscaling.hpa.minReplicas) (int .Values.autoscaling.hpa.maxReplicas) }}
{{- fail "autoscaling.hpa.minReplicas must be <= autoscaling.hpa.maxReplicas" }}
{{- end }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled .Values.metrics.podMonitor.enabled }}
{{- fail "metrics.serviceMonitor.enabled and metrics.podMonitor.enabled are mutually exclusive (metrics would be scraped twice)" }}
{{- end }}
{{- end }}

{{/* Keys of secrets.existingSecret the KEDA TriggerAuthentication reads. */}}
{{- define "signals-consumer.kedaUsernameKey" -}}
{{- .Values.autoscaling.keda.auth.usernameKey | default .Values.secrets.keys.kafkaSaslUsername }}
{{- end }}

{{- define "signals-consumer.kedaPasswordKey" -}}
{{- .Values.autoscaling.keda.auth.passwordKey | default .Values.secrets.keys.kafkaSaslPassword | default .Values.secrets.keys.kafkaOauthClientSecret }}
{{- end }}
