module github.com/e5renew/e5renew

go 1.26.0
