module github.com/corsguard/corsguard

go 1.26
