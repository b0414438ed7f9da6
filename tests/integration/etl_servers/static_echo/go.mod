module kiln/static_echo

go 1.21
