/**
 * The boot script of an `Ec2Service` instance: fetch the app (an archive from a URL or
 * S3, or a container image), write its environment, and run it as a systemd service that
 * restarts on every exit, with its output shipped to CloudWatch Logs. Rendered as plain
 * text from resolved values, so it is deterministic: same inputs, same script, no
 * spurious launch-template versions.
 */

/** Where an instance gets the app. */
export type Ec2Artifact =
  | {
      /** An HTTPS URL of a `.tar.gz` holding the app. */
      readonly url: string
      /** `sha256` hex of the archive; checked before it is unpacked. */
      readonly sha256?: string
      /** Command that starts the app, run in the unpacked folder. */
      readonly command: string
    }
  | {
      /** An S3 object holding the app as a `.tar.gz`. */
      readonly s3: { readonly bucket: string; readonly key: string }
      readonly sha256?: string
      readonly command: string
    }
  | {
      /** A container image, by digest. */
      readonly image: string
      /** Overrides the image's command. */
      readonly command?: string
    }

/** Everything the script needs, resolved. */
export interface UserDataInput {
  readonly app: string
  readonly artifact: Ec2Artifact
  readonly port: number
  readonly environment: Readonly<Record<string, string>>
  /** Variable name → ARN of an SSM parameter or a Secrets Manager secret, read at boot. */
  readonly secrets: Readonly<
    Record<string, { readonly arn: string; readonly source: "ssm" | "secretsmanager" }>
  >
  readonly logGroupName: string
  readonly region: string
  /** ECR registry host to log in to before pulling, when the image lives in ECR. */
  readonly ecrRegistry?: string
}

/** Single-quotes a value for bash. */
export const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`

/**
 * A `KEY="value"` line systemd's EnvironmentFile reads literally: inside double quotes it
 * takes a backslash-escaped \\ " $ ` as the character itself.
 */
const envLine = (key: string, value: string): string => `${key}="${value.replace(/[\\"$`]/g, "\\$&")}"`

const HEREDOC = "SLIPWAY_EOF"

const fetchArtifact = (artifact: Ec2Artifact): Array<string> => {
  if ("image" in artifact) return []
  const lines = ["install -d -o root -g root -m 0755 /opt/app", "tmp=$(mktemp)"]
  if ("url" in artifact) {
    lines.push(`curl --fail --silent --show-error --location --retry 5 -o "$tmp" ${shellQuote(artifact.url)}`)
  } else {
    lines.push(`aws s3 cp ${shellQuote(`s3://${artifact.s3.bucket}/${artifact.s3.key}`)} "$tmp"`)
  }
  if (artifact.sha256 !== undefined) {
    lines.push(`echo ${shellQuote(`${artifact.sha256}  `)}"$tmp" | sha256sum --check --status`)
  }
  lines.push('tar -xzf "$tmp" -C /opt/app', 'rm -f "$tmp"', "chown -R root:root /opt/app")
  return lines
}

const readSecrets = (secrets: UserDataInput["secrets"], region: string): Array<string> =>
  Object.entries(secrets)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([key, { arn, source }]) => {
      const read =
        source === "ssm"
          ? `aws ssm get-parameter --region ${shellQuote(region)} --with-decryption --name ${shellQuote(arn)} --query Parameter.Value --output text`
          : `aws secretsmanager get-secret-value --region ${shellQuote(region)} --secret-id ${shellQuote(arn)} --query SecretString --output text`
      return [`v=$(${read})`, `env_line ${key} "$v"`]
    })

const unit = (input: UserDataInput, keys: ReadonlyArray<string>): string => {
  const { artifact, port } = input
  const common = [
    "[Unit]",
    `Description=${input.app} (managed by Slipway)`,
    "Wants=network-online.target",
    "After=network-online.target",
    ...("image" in artifact ? ["Requires=docker.service", "After=docker.service"] : []),
    "",
    "[Service]",
    "EnvironmentFile=/etc/app/app.env",
    "Restart=always",
    "RestartSec=2",
    "TimeoutStopSec=30",
    "StandardOutput=append:/var/log/app/app.log",
    "StandardError=append:/var/log/app/app.log",
  ]
  const exec =
    "image" in artifact
      ? [
          "ExecStartPre=-/usr/bin/docker rm -f app",
          // systemd parses the environment file and `-e KEY` passes each variable on (docker's own
          // --env-file would keep the quotes as part of the values).
          `ExecStart=/usr/bin/docker run --rm --name app -p ${port}:${port}${keys.map((k) => ` -e ${k}`).join("")} ${artifact.image}${
            artifact.command === undefined ? "" : ` ${artifact.command}`
          }`,
          "ExecStop=/usr/bin/docker stop --time 25 app",
        ]
      : [
          "User=app",
          "Group=app",
          "WorkingDirectory=/opt/app",
          "NoNewPrivileges=true",
          "ProtectSystem=strict",
          "ProtectHome=true",
          "PrivateTmp=true",
          `ExecStart=/bin/sh -c ${shellQuote(`exec ${artifact.command}`)}`,
        ]
  return [...common, ...exec, "", "[Install]", "WantedBy=multi-user.target", ""].join("\n")
}

const agentConfig = (input: UserDataInput): string =>
  JSON.stringify({
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            {
              file_path: "/var/log/app/app.log",
              log_group_name: input.logGroupName,
              log_stream_name: "{instance_id}",
            },
          ],
        },
      },
    },
  })

/**
 * Renders the boot script.
 *
 * @example
 * renderUserData({
 *   app: "web",
 *   artifact: { url: "https://releases.example.com/web-1.4.2.tar.gz", sha256: "9f86d0…", command: "node server.js" },
 *   port: 8080,
 *   environment: { LOG_LEVEL: "info" },
 *   secrets: {},
 *   logGroupName: "/slipway/web",
 *   region: "eu-west-1",
 * }) // "#!/bin/bash\nset -euo pipefail\n…"
 */
export const renderUserData = (input: UserDataInput): string => {
  const image = "image" in input.artifact
  const env = Object.entries({ PORT: String(input.port), ...input.environment }).sort(([a], [b]) =>
    a.localeCompare(b),
  )
  const lines = [
    "#!/bin/bash",
    "# Generated by Slipway: installs the app and runs it as a systemd service.",
    "set -euo pipefail",
    "",
    `dnf install -y amazon-cloudwatch-agent${image ? " docker" : ""}`,
    ...(image
      ? [
          "systemctl enable --now docker",
          ...(input.ecrRegistry !== undefined
            ? [
                `aws ecr get-login-password --region ${shellQuote(input.region)} | docker login --username AWS --password-stdin ${shellQuote(input.ecrRegistry)}`,
              ]
            : []),
          `docker pull ${shellQuote((input.artifact as { image: string }).image)}`,
        ]
      : ["id app >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin app"]),
    ...fetchArtifact(input.artifact),
    "",
    "# Environment: plain values first, then secrets read from AWS at boot (never stored in user data).",
    "install -d -m 0750 /etc/app",
    "umask 077",
    `cat >/etc/app/app.env <<'${HEREDOC}'`,
    ...env.map(([k, v]) => envLine(k, v)),
    HEREDOC,
    // Appends KEY="value" with \ " $ ` escaped, as envLine does for plain values.
    "env_line() {",
    '  printf \'%s="%s"\\n\' "$1" "$(printf \'%s\' "$2" | sed -e \'s/[\\\\"$`]/\\\\&/g\')" >>/etc/app/app.env',
    "}",
    ...readSecrets(input.secrets, input.region),
    ...(image ? [] : ["chown root:app /etc/app /etc/app/app.env", "chmod 0640 /etc/app/app.env"]),
    "umask 022",
    "",
    "install -d -m 0755 /var/log/app",
    ...(image ? [] : ["touch /var/log/app/app.log", "chown app:app /var/log/app/app.log"]),
    `cat >/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json <<'${HEREDOC}'`,
    agentConfig(input),
    HEREDOC,
    "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json",
    "",
    `cat >/etc/systemd/system/app.service <<'${HEREDOC}'`,
    unit(input, [...env.map(([k]) => k), ...Object.keys(input.secrets)].sort()),
    HEREDOC,
    "systemctl daemon-reload",
    "systemctl enable --now app.service",
    "",
  ]
  return lines.join("\n")
}
