package nginxconf

import (
	"embed"
	"path"
	"strings"
)

// The include files every nginx installation has beside nginx.conf, as
// nginx itself ships them (conf/ of the nginx source, unchanged since
// 1.13; BSD-2-Clause, Copyright (C) Igor Sysoev, Copyright (C) Nginx, Inc.),
// plus Debian's snippets/fastcgi-php.conf (nginx-common, under the same
// licence). A linted
// tree rarely carries them: `include fastcgi_params;` names the
// distribution's file. When such an include finds no file, the model reads
// this copy, with a warning, rather than dropping the params that say what
// the app sees (REMOTE_ADDR, HTTPS). nginx's own copy, not a
// distribution's: Debian's recent security update adds
// `fastcgi_param HTTP_HOST $host;`, which older Debian installs, nginx.org's
// packages and the official image lack, so assuming it would hide the
// client's Host reaching the app on those.
//
//go:embed stock/*
var stockFiles embed.FS

// stockNames maps an include's file name to the stock copy.
var stockNames = map[string]string{
	"fastcgi_params": "stock/fastcgi_params", "fastcgi.conf": "stock/fastcgi.conf",
	"uwsgi_params": "stock/uwsgi_params", "scgi_params": "stock/scgi_params",
	"snippets/fastcgi-php.conf": "stock/fastcgi-php.conf",
}

// stockPrefix names the stock copies in positions and warnings.
const stockPrefix = "<nginx>/"

// stockFS serves the stock copies by their stockPrefix names.
var stockFS = func() *memFS {
	m := &memFS{files: map[string][]byte{}}
	for name, file := range stockNames {
		data, err := stockFiles.ReadFile(file)
		if err != nil {
			panic(err) // embedded at build time
		}
		m.files[stockPrefix+name] = data
		m.names = append(m.names, stockPrefix+name)
	}
	return m
}()

// stockInclude is the stock copy an include of pattern stands for: its
// last element (fastcgi_params, /etc/nginx/fastcgi.conf) or, for Debian's
// snippet, its last two.
func stockInclude(pattern string) (string, bool) {
	p := path.Clean(strings.ReplaceAll(pattern, `\`, "/"))
	if _, ok := stockNames[path.Base(p)]; ok && path.Base(p) != "fastcgi-php.conf" {
		return stockPrefix + path.Base(p), true
	}
	if p == "snippets/fastcgi-php.conf" || strings.HasSuffix(p, "/snippets/fastcgi-php.conf") {
		return stockPrefix + "snippets/fastcgi-php.conf", true
	}
	return "", false
}
