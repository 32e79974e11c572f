module github.com/campus/campus

go 1.26.0
