package openapi

import "encoding/json"

// The objects of an OpenAPI document this package writes, their fields in
// the order a reader expects them.

type document struct {
	OpenAPI    string                           `json:"openapi"`
	Info       infoObject                       `json:"info"`
	Servers    []server                         `json:"servers"`
	Paths      map[string]map[string]*operation `json:"paths"`
	Components components                       `json:"components"`
}

type infoObject struct {
	Title       string   `json:"title"`
	Version     string   `json:"version"`
	Description string   `json:"description,omitempty"`
	License     *license `json:"license,omitempty"`
}

type license struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type server struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

type components struct {
	Schemas map[string]json.RawMessage `json:"schemas,omitempty"`
}

type operation struct {
	Summary     string              `json:"summary"`
	Description string              `json:"description,omitempty"`
	OperationID string              `json:"operationId"`
	Parameters  []parameter         `json:"parameters,omitempty"`
	RequestBody *requestBody        `json:"requestBody,omitempty"`
	Responses   map[string]response `json:"responses"`
}

type parameter struct {
	Name        string          `json:"name"`
	In          string          `json:"in"`
	Description string          `json:"description,omitempty"`
	Required    bool            `json:"required,omitempty"`
	Schema      json.RawMessage `json:"schema"`
}

type requestBody struct {
	Required bool                 `json:"required"`
	Content  map[string]mediaType `json:"content"`
}

type response struct {
	Description string               `json:"description"`
	Content     map[string]mediaType `json:"content,omitempty"`
}

type mediaType struct {
	Schema     json.RawMessage `json:"schema,omitempty"`
	ItemSchema *oneOf          `json:"itemSchema,omitempty"`
}

type oneOf struct {
	OneOf []eventSchema `json:"oneOf"`
}

type eventSchema struct {
	Title       string          `json:"title"`
	Description string          `json:"description,omitempty"`
	Type        string          `json:"type"`
	Required    []string        `json:"required"`
	Properties  eventProperties `json:"properties"`
}

type eventProperties struct {
	Event constant        `json:"event"`
	Data  json.RawMessage `json:"data"`
	ID    json.RawMessage `json:"id"`
	Retry json.RawMessage `json:"retry"`
}

type constant struct {
	Const string `json:"const"`
}

type jsonData struct {
	Type             string          `json:"type"`
	ContentMediaType string          `json:"contentMediaType"`
	ContentSchema    json.RawMessage `json:"contentSchema"`
}
