package main

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/handoff/handoff/config"
)

// The deployment files live at the repository root and in deploy/; no
// container engine or init system runs in tests, so these tests check what
// can be checked without one: the structure the files promise, and that
// every variable and subcommand they use is one Handoff knows.

const imageBinary = "/usr/local/bin/handoff"

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// documentedVars are the variables named in the README's configuration table.
func documentedVars(t *testing.T) map[string]bool {
	t.Helper()
	readme := readRepoFile(t, "README.md")
	start := strings.Index(readme, "## Configuration")
	if start < 0 {
		t.Fatal("README has no Configuration section")
	}
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end > 0 {
		section = section[:end+3]
	}
	vars := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]+)`").FindAllStringSubmatch(strings.SplitN(line, "|", 3)[1], -1) {
			vars[m[1]] = true
		}
	}
	return vars
}

// checkVar fails unless name (or, for X_FILE, X) is documented, and X_FILE
// is only used for a secret.
func checkVar(t *testing.T, where, name string, documented map[string]bool) {
	t.Helper()
	if base, ok := strings.CutSuffix(name, "_FILE"); ok {
		if !slices.Contains(config.SecretVars, base) {
			t.Errorf("%s sets %s, but %s is not a secret with a _FILE variant", where, name, base)
		}
		name = base
	}
	if !documented[name] {
		t.Errorf("%s sets %s, which the README's configuration table does not document", where, name)
	}
}

func TestComposeFile(t *testing.T) {
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       any               `yaml:"build"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Deploy      struct {
				Replicas int `yaml:"replicas"`
			} `yaml:"deploy"`
			DependsOn map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
			Secrets []string `yaml:"secrets"`
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
		Secrets map[string]struct {
			File string `yaml:"file"`
		} `yaml:"secrets"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "compose.yaml")), &compose); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	h, ok := compose.Services["handoff"]
	if !ok {
		t.Fatal("compose.yaml has no handoff service")
	}
	if h.Deploy.Replicas != 2 {
		t.Errorf("handoff replicas = %d, want 2", h.Deploy.Replicas)
	}
	if h.Build == nil {
		t.Error("the handoff service does not build the Dockerfile")
	}
	if !strings.HasPrefix(h.Environment["DATABASE_URL"], "postgres://") || !strings.Contains(h.Environment["DATABASE_URL"], "@postgres:5432/") {
		t.Errorf("DATABASE_URL = %q, want postgres:// on the postgres service (replicas need PostgreSQL)", h.Environment["DATABASE_URL"])
	}
	pg, ok := compose.Services["postgres"]
	if !ok || !strings.HasPrefix(pg.Image, "postgres:") || len(pg.Healthcheck.Test) == 0 {
		t.Errorf("postgres service = %+v, want a postgres image with a health check", pg)
	}
	if h.DependsOn["postgres"].Condition != "service_healthy" {
		t.Errorf("handoff depends_on postgres = %+v, want condition service_healthy", h.DependsOn)
	}
	if want := []string{"CMD", imageBinary, "healthcheck"}; !slices.Equal(h.Healthcheck.Test, want) {
		t.Errorf("handoff healthcheck = %q, want %q", h.Healthcheck.Test, want)
	}
	if len(h.Command) == 0 || commands()[h.Command[0]].flags == nil {
		t.Errorf("handoff command %q is not a handoff subcommand", h.Command)
	}
	documented := documentedVars(t)
	for name := range h.Environment {
		checkVar(t, "compose.yaml", name, documented)
		if strings.HasSuffix(name, "_FILE") && !strings.HasPrefix(h.Environment[name], "/run/secrets/") {
			t.Errorf("%s = %q, want a file under /run/secrets/", name, h.Environment[name])
		}
	}
	// The replicas run on the admin's agreement (the README's steps copy
	// the example to handoff.yml to edit it), never on the example itself.
	agreement := ""
	for _, v := range h.Volumes {
		if src, dst, _ := strings.Cut(strings.TrimSuffix(v, ":ro"), ":"); dst == h.Environment["HANDOFF_CONFIG"] {
			agreement = src
		}
	}
	if agreement != "./handoff.yml" {
		t.Errorf("HANDOFF_CONFIG is mounted from %q, want ./handoff.yml", agreement)
	}
	for _, s := range h.Secrets {
		if compose.Secrets[s].File == "" {
			t.Errorf("secret %q is used but not defined with a file", s)
		}
	}
}

func TestDockerfile(t *testing.T) {
	var from, run, user, health, volume, env []string
	for _, line := range strings.Split(strings.ReplaceAll(readRepoFile(t, "Dockerfile"), "\\\n", " "), "\n") {
		instr, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch instr {
		case "FROM":
			from = append(from, rest)
		case "RUN":
			run = append(run, rest)
		case "USER":
			user = append(user, rest)
		case "HEALTHCHECK":
			health = append(health, rest)
		case "VOLUME":
			volume = append(volume, rest)
		case "ENV":
			env = append(env, strings.Fields(rest)...)
		}
	}
	if len(from) < 2 {
		t.Errorf("FROM %q: want a multi-stage build", from)
	}
	if !slices.ContainsFunc(run, func(r string) bool { return strings.Contains(r, "scripts/build.sh") }) {
		t.Errorf("RUN %q: the build must go through scripts/build.sh, as CI does", run)
	}
	if len(user) == 0 || slices.ContainsFunc(user, func(u string) bool { return u == "root" || strings.HasPrefix(u, "0") }) {
		t.Errorf("USER %q: want a non-root user", user)
	}
	if len(health) != 1 || !strings.Contains(health[0], `CMD ["`+imageBinary+`", "healthcheck"]`) {
		t.Errorf("HEALTHCHECK %q: want CMD [%q, \"healthcheck\"]", health, imageBinary)
	}
	if len(volume) != 1 || !strings.Contains(volume[0], `"/data"`) {
		t.Errorf("VOLUME %q: want /data", volume)
	}
	if !slices.Contains(env, "DATABASE_URL=/data/handoff.db") {
		t.Errorf("ENV %q: want the SQLite file in the /data volume", env)
	}
	documented := documentedVars(t)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		checkVar(t, "Dockerfile", name, documented)
	}
}

func TestSystemdUnit(t *testing.T) {
	unit := readRepoFile(t, "deploy/handoff.service")
	settings := map[string][]string{}
	for _, line := range strings.Split(unit, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("unit line %q is not key=value", line)
		}
		settings[k] = append(settings[k], v)
	}
	want := map[string]string{
		"ExecStart": imageBinary + " serve", "DynamicUser": "yes", "StateDirectory": "handoff",
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
		"PrivateDevices": "yes", "CapabilityBoundingSet": "", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"SystemCallFilter": "@system-service", "MemoryDenyWriteExecute": "yes", "WantedBy": "multi-user.target",
	}
	for k, v := range want {
		if !slices.Contains(settings[k], v) {
			t.Errorf("%s = %q, want %q among them", k, settings[k], v)
		}
	}
	documented := documentedVars(t)
	for _, e := range settings["Environment"] {
		name, value, _ := strings.Cut(e, "=")
		checkVar(t, "handoff.service", name, documented)
		if name == "DATABASE_URL" && !strings.HasPrefix(value, "/var/lib/handoff/") {
			t.Errorf("DATABASE_URL = %q, want a file in the state directory", value)
		}
		// The dynamic user owns only the state directory; /etc/handoff is
		// root's (0750, it holds the secrets), so any other file reaches
		// the service as a credential (%d/…).
		if strings.HasPrefix(value, "/") && !strings.HasPrefix(value, "/var/lib/handoff/") {
			t.Errorf("%s = %q: the dynamic user cannot read it; pass it with LoadCredential= and %%d/", name, value)
		}
	}

	// Every file the unit reads outside its state directory (the binary,
	// its documentation, the credentials, the environment file) is one the
	// README's install steps put there.
	readme := readRepoFile(t, "README.md")
	steps := readme[strings.Index(readme, "### systemd"):]
	steps = steps[strings.Index(steps, "```sh"):]
	steps = steps[:strings.Index(steps[5:], "```")+5]
	files := []string{imageBinary}
	for _, d := range settings["Documentation"] {
		files = append(files, strings.TrimPrefix(d, "file://"))
	}
	for _, c := range settings["LoadCredential"] {
		_, path, _ := strings.Cut(c, ":")
		files = append(files, path)
	}
	for _, f := range settings["EnvironmentFile"] {
		files = append(files, strings.TrimPrefix(f, "-"))
	}
	for _, f := range files {
		if !strings.Contains(steps, f) {
			t.Errorf("the unit reads %s, which the README's systemd steps do not install", f)
		}
	}

	// Where systemd is installed, let it judge the unit too (it needs the
	// binary to exist, so point ExecStart at this test binary). It exits 0
	// on unknown keys and bad values, so any line about the unit fails.
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze not installed: checked the unit by parsing only")
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "handoff.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, imageBinary, self)), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command("systemd-analyze", "verify", path)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || strings.Contains(out.String(), "handoff.service") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out.String())
	}
}

// TestReadmeNamesEveryDependency fails when a module go.mod requires
// directly is not explained in the README's dependency table.
func TestReadmeNamesEveryDependency(t *testing.T) {
	readme := readRepoFile(t, "README.md")
	start := strings.Index(readme, "## Dependencies")
	if start < 0 {
		t.Fatal("README has no Dependencies section")
	}
	table := readme[start:]
	if end := strings.Index(table[3:], "\n## "); end > 0 {
		table = table[:end+3]
	}
	direct := 0
	inRequire := false
	for _, line := range strings.Split(readRepoFile(t, "go.mod"), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "require (":
			inRequire = true
		case line == ")":
			inRequire = false
		case inRequire && line != "" && !strings.Contains(line, "// indirect"):
			module := strings.Fields(line)[0]
			direct++
			if !strings.Contains(table, "`"+module+"`") {
				t.Errorf("go.mod requires %s, which the README's dependency table does not explain", module)
			}
		}
	}
	if direct == 0 {
		t.Fatal("found no direct requirement in go.mod")
	}
}

// TestReadmeDocumentsEveryVariable: every variable Handoff reads (its
// configuration's, each with its _FILE form, and GOGC) is in the README's
// configuration table, and every variable the table names is one Handoff
// reads. The configuration is loaded with nothing set, then with Slack,
// Teams, a CRM and a webhook on, so that what is read only then is read
// too.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	documented := documentedVars(t)
	t.Chdir(t.TempDir()) // no handoff.yml lying around
	agreement := filepath.Join(t.TempDir(), "handoff.yml")
	if err := os.WriteFile(agreement, []byte("webhooks:\n  - url: https://crm.example.com/hooks/handoff\n    events: [\"*\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	recording := func(vars map[string]string) func(string) string {
		return func(k string) string {
			read[strings.TrimSuffix(k, "_FILE")] = true
			return vars[k]
		}
	}
	for _, vars := range []map[string]string{{}, {
		"HANDOFF_CONFIG": agreement, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_SALES_CHANNEL": "C0SALES",
		"TEAMS_APP_ID": "00000000-1111-2222-3333-444444444444", "TEAMS_APP_PASSWORD": "p", "TEAMS_TENANT_ID": "00000000-1111-2222-3333-555555555555",
		"HUBSPOT_CLIENT_SECRET": "h", "SALESFORCE_ORG_ID": "00D000000000001", "SALESFORCE_OUTBOUND_TOKEN": "0123456789abcdef",
		"HANDOFF_WEBHOOK_SECRET": "whsec_ZGVtby13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5",
	}} {
		config.Load(recording(vars)) // what it reads matters here, not what it makes of it
	}
	setGC(recording(map[string]string{"GOGC": "100"})) // set: the test's own GC stays as it is
	for _, name := range slices.Sorted(maps.Keys(read)) {
		if !documented[name] {
			t.Errorf("Handoff reads %s, which the README's configuration table does not document", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(documented)) {
		if !read[name] {
			t.Errorf("the README's configuration table documents %s, which Handoff does not read", name)
		}
	}
}

// TestReadmeBackupCommands: every sqlite3 command the README gives names
// the database file and where its online backup goes (sqlite3 FILE
// ".backup DEST"), so that it can be run as written: a bare `sqlite3
// .backup` opens an empty database called .backup and backs up nothing.
func TestReadmeBackupCommands(t *testing.T) {
	readme := readRepoFile(t, "README.md")
	asWritten := regexp.MustCompile(`^sqlite3 \S+\.db "\.backup \S+\.db"$`)
	found := 0
	for _, m := range regexp.MustCompile("`(sqlite3 [^`]*)`").FindAllStringSubmatch(readme, -1) {
		found++
		if !asWritten.MatchString(strings.TrimPrefix(m[1], "sudo ")) {
			t.Errorf("the README's backup command %q names no database file and backup file (sqlite3 FILE \".backup DEST\")", m[1])
		}
	}
	if found == 0 {
		t.Error("the README says nowhere how to back up the SQLite file")
	}
}
