{{/* Names ------------------------------------------------------------------------------------ */}}

{{- define "journalwire.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "journalwire.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<suffix>", within the 63 characters of a DNS label. Call with (list $ "suffix"). */}}
{{- define "journalwire.childName" -}}
{{- $root := index . 0 -}}
{{- $suffix := index . 1 -}}
{{- printf "%s-%s" (include "journalwire.fullname" $root | trunc (int (sub 62 (len $suffix)))) $suffix | trimSuffix "-" -}}
{{- end -}}

{{/* Labels --------------------------------------------------------------------------------- */}}

{{- define "journalwire.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "journalwire.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: journalwire
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component. Call with (list $ "component"). */}}
{{- define "journalwire.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "journalwire.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "journalwire.componentLabels" -}}
{{ include "journalwire.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Image ---------------------------------------------------------------------------------- */}}

{{- define "journalwire.image" -}}
{{- $image := .Values.image -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag | toString) -}}
{{- end -}}
{{- end -}}

{{/* Secret --------------------------------------------------------------------------------- */}}

{{- define "journalwire.secretName" -}}
{{- if .Values.existingSecret -}}
{{- .Values.existingSecret -}}
{{- else -}}
{{- include "journalwire.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* Secret keys rendered into the chart's Secret: NAME -> value (validated here). */}}
{{- define "journalwire.secretData" -}}
{{- $v := .Values -}}
{{- $data := dict
  "DATABASE_URL" (required "database.url is required (or set existingSecret)" $v.database.url)
  "REDIS_URL" (required "redis.url is required (or set existingSecret)" $v.redis.url)
  "CREDENTIAL_KEY" (required "credentials.key is required (or set existingSecret): openssl rand -base64 32" $v.credentials.key)
  "CREDENTIAL_KEYS_PREVIOUS" ($v.credentials.previousKeys | default "")
-}}
{{- if ne (len (b64dec $v.credentials.key)) 32 -}}
{{- fail "credentials.key must be 32 random bytes, base64-encoded (openssl rand -base64 32)" -}}
{{- end -}}
{{- if include "journalwire.kafkaSasl" . -}}
{{- $_ := set $data "KAFKA_SASL_PASSWORD" (required "kafka.sasl.password is required with kafka.sasl.mechanism (or set existingSecret)" $v.kafka.sasl.password) -}}
{{- end -}}
{{- range $name, $value := $v.secretEnv -}}
{{- $_ := set $data $name ($value | toString) -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/* EnvVar reading one key of the Secret. Call with (list $ "NAME"). */}}
{{- define "journalwire.secretEnvVar" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "journalwire.secretName" $root }}
      key: {{ $name }}
      {{- if has $name $root.Values.optionalSecretKeys }}
      optional: true
      {{- end }}
{{- end -}}

{{/* App configuration ---------------------------------------------------------------------- */}}

{{/* Kafka TLS and SASL ----------------------------------------------------------------------- */}}

{{- define "journalwire.kafkaSasl" -}}
{{- $m := .Values.kafka.sasl.mechanism | default "none" -}}
{{- if not (has $m (list "none" "scram-sha-512" "scram-sha-256" "plain")) -}}
{{- fail (printf "kafka.sasl.mechanism must be none, scram-sha-512, scram-sha-256 or plain, not %s" $m) -}}
{{- end -}}
{{- if ne $m "none" -}}true{{- end -}}
{{- end -}}

{{- define "journalwire.kafkaTlsMount" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.secretName -}}true{{- end -}}
{{- end -}}

{{/* Plain Kafka settings of every Kafka client (apps and the topics Job), as a YAML map. */}}
{{- define "journalwire.kafkaConfig" -}}
{{- $k := .Values.kafka -}}
{{- if not $k.brokers -}}{{- fail "kafka.brokers is required (a list of host:port)" -}}{{- end -}}
{{- $data := dict "KAFKA_BROKERS" (join "," $k.brokers) "KAFKA_CLIENT_ID" $k.clientId -}}
{{- if $k.tls.enabled -}}
{{- $_ := set $data "KAFKA_SSL" "true" -}}
{{- $dir := trimSuffix "/" $k.tls.mountPath -}}
{{- if include "journalwire.kafkaTlsMount" . -}}
{{- with $k.tls.caKey }}{{- $_ := set $data "KAFKA_SSL_CA_FILE" (printf "%s/%s" $dir .) -}}{{- end -}}
{{- if and $k.tls.certKey $k.tls.keyKey -}}
{{- $_ := set $data "KAFKA_SSL_CERT_FILE" (printf "%s/%s" $dir $k.tls.certKey) -}}
{{- $_ := set $data "KAFKA_SSL_KEY_FILE" (printf "%s/%s" $dir $k.tls.keyKey) -}}
{{- else if or $k.tls.certKey $k.tls.keyKey -}}
{{- fail "kafka.tls.certKey and kafka.tls.keyKey: set both (mutual TLS) or neither" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if include "journalwire.kafkaSasl" . -}}
{{- if and (eq $k.sasl.mechanism "plain") (not $k.tls.enabled) -}}
{{- fail "kafka.sasl.mechanism plain needs kafka.tls.enabled: the password would travel in clear" -}}
{{- end -}}
{{- $_ := set $data "KAFKA_SASL_MECHANISM" $k.sasl.mechanism -}}
{{- $_ := set $data "KAFKA_SASL_USERNAME" (required "kafka.sasl.username is required with kafka.sasl.mechanism" $k.sasl.username) -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/* The Kafka TLS Secret as a volume and its mount. */}}
{{- define "journalwire.kafkaTlsVolume" -}}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.secretName }}
{{- end -}}
{{- define "journalwire.kafkaTlsVolumeMount" -}}
- name: kafka-tls
  mountPath: {{ .Values.kafka.tls.mountPath }}
  readOnly: true
{{- end -}}

{{- define "journalwire.pop3CaEnabled" -}}
{{- if or .Values.pop3Ca.secretName .Values.pop3Ca.configMapName -}}true{{- end -}}
{{- end -}}

{{/* Plain settings of an app (its ConfigMap data). Call with (list $ "app" $appValues). */}}
{{- define "journalwire.appConfig" -}}
{{- $root := index . 0 -}}
{{- $app := index . 2 -}}
{{- $v := $root.Values -}}
{{- $data := dict "HTTP_HOST" "0.0.0.0" "HTTP_PORT" ($app.httpPort | toString) "LOG_LEVEL" $v.logLevel "OTEL_TRACES_EXPORTER" $v.tracing.exporter -}}
{{- with $v.tracing.otlpEndpoint -}}
{{- $_ := set $data "OTEL_EXPORTER_OTLP_ENDPOINT" . -}}
{{- end -}}
{{- if has "kafka" $app.uses -}}
{{- $data = merge $data (include "journalwire.kafkaConfig" $root | fromYaml) -}}
{{- end -}}
{{- if has "blob" $app.uses -}}
{{- $_ := set $data "BLOB_DIR" $v.blob.dir -}}
{{- $_ := set $data "INLINE_LIMIT_BYTES" ($v.blob.inlineLimitBytes | int64 | toString) -}}
{{- end -}}
{{- if and (has "pop3Ca" $app.uses) (include "journalwire.pop3CaEnabled" $root) -}}
{{- $_ := set $data "POP3_CA_FILE" (printf "%s/%s" (trimSuffix "/" $v.pop3Ca.mountPath) $v.pop3Ca.key) -}}
{{- end -}}
{{- if $app.grpcPort -}}
{{- $_ := set $data "GRPC_HOST" "0.0.0.0" -}}
{{- $_ := set $data "GRPC_PORT" ($app.grpcPort | toString) -}}
{{- end -}}
{{- range $name, $value := $app.env -}}
{{- $_ := set $data $name ($value | toString) -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/* Names of the Secret keys an app reads. Call with (list $ $appValues); yields a YAML list. */}}
{{- define "journalwire.appSecretKeys" -}}
{{- $app := index . 1 -}}
{{- $keys := list -}}
{{- if has "database" $app.uses -}}{{- $keys = append $keys "DATABASE_URL" -}}{{- end -}}
{{- if has "redis" $app.uses -}}{{- $keys = append $keys "REDIS_URL" -}}{{- end -}}
{{- if and (has "kafka" $app.uses) (include "journalwire.kafkaSasl" (index . 0)) -}}{{- $keys = append $keys "KAFKA_SASL_PASSWORD" -}}{{- end -}}
{{- if has "credentials" $app.uses -}}{{- $keys = concat $keys (list "CREDENTIAL_KEY" "CREDENTIAL_KEYS_PREVIOUS") -}}{{- end -}}
{{- $keys = concat $keys ($app.secretEnv | default list) | uniq -}}
{{- toYaml $keys -}}
{{- end -}}

{{/* Probes --------------------------------------------------------------------------------- */}}

{{- define "journalwire.probe" -}}
{{- $probe := index . 0 -}}
httpGet:
  path: {{ $probe.path }}
  port: http
  {{- if eq (index . 1) "HTTPS" }}
  scheme: HTTPS
  {{- end }}
periodSeconds: {{ $probe.periodSeconds }}
timeoutSeconds: {{ $probe.timeoutSeconds }}
failureThreshold: {{ $probe.failureThreshold }}
{{- with $probe.initialDelaySeconds }}
initialDelaySeconds: {{ . }}
{{- end }}
{{- end -}}

{{/* Blob volume source. */}}
{{- define "journalwire.blobVolume" -}}
{{- $p := .Values.blob.persistence -}}
{{- if $p.enabled -}}
persistentVolumeClaim:
  claimName: {{ $p.existingClaim | default (include "journalwire.childName" (list . "blobs")) }}
{{- else -}}
emptyDir: {}
{{- end -}}
{{- end -}}

{{/* Pod-level settings shared by apps and jobs. */}}
{{- define "journalwire.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}
