module kiln.local/bench/goecho

go 1.21
