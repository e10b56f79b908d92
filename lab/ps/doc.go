// Package ps owns the lab's PowerShell interpreter: a subset of Windows
// PowerShell 5.1 (lexer, parser, values, evaluator, the language's own
// cmdlets and the console's error and output formatting) that runs scripts
// against a Host.
//
// The interpreter knows nothing about Windows Server Backup: every command
// it does not own itself (Get-WBSummary, Restart-Service, vssadmin, ...) is
// the Host's, reached through Host.Command (a cmdlet with its parameters, to
// which the interpreter binds arguments) and Host.Native (a native program).
// The lexer, parser and values never touch the host; the evaluator asks it
// only for commands, environment variables and the time.
//
// What it runs: statements split on new lines and `;`, pipelines,
// assignments, if/elseif/else, foreach, try/catch/finally, throw, exit and
// return, script blocks, strings with $var and $(...) expansion, member
// access and a fixed set of .NET methods and static members, hashtable and
// array literals, casts, the comparison, arithmetic, -f, -join, -split and
// -replace operators, and the cmdlets Write-*, Out-*, Format-List,
// Format-Table, ConvertTo-Json (5.1's layout), ConvertFrom-Json,
// Select-Object, Where-Object, ForEach-Object, Sort-Object, Measure-Object,
// Get-Date and Start-Sleep. A construct outside the subset is a ParserError
// that names it (Culture.Unsupported), never a silent success.
//
// Parse is pure; a Cache keeps parsed scripts by their text so that one
// script sent to many hosts is parsed once. The package imports only the
// standard library.
package ps
