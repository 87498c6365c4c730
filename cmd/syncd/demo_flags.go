package main

import "time"

// demoFlags are the parsed flags of syncd demo. Every build parses them,
// so a build without the demo answers any demo command line (not a flag
// error) with how to get the demo.
type demoFlags struct {
	db, addr string
	every    time.Duration
}

func (m *Main) parseDemoFlags(args []string) (demoFlags, error) {
	fs := m.flags("demo", "", "The embedded default: a throwaway PostgreSQL cluster, the built-in Sheets emulator with a\n"+
		"browser view, the shift bot's example schema with a few hundred rows, the daemon, and a small\n"+
		"live workload. Prints the URL to watch. Ctrl-C stops it and removes everything it created.\n"+
		"Only in a syncd built with -tags demo (make demo).")
	var f demoFlags
	fs.StringVar(&f.db, "db", "", "use this existing database instead of a throwaway cluster (the example tables are created if missing)")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8787", "address of the emulator's browser view and API")
	fs.DurationVar(&f.every, "every", 3*time.Second, "how often the live workload writes")
	return f, m.parse(fs, args)
}
