{{- define "kubecurrent.name" -}}
{{- printf "%s-kubecurrent" .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubecurrent.labels" -}}
app.kubernetes.io/name: kubecurrent
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kubecurrent.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "kubecurrent.memberSecret" -}}
{{- if .existingSecret -}}{{ .existingSecret }}{{- else -}}{{ printf "kubecurrent-member-%s" .name }}{{- end -}}
{{- end -}}
