<?xml version="1.0" encoding="utf-8"?>
<!-- Shows an Atom feed as a readable page to a person who opens it in a browser; feed readers
     ignore it. Each entry shows its plain-text summary (its content is HTML, for feed readers). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:atom="http://www.w3.org/2005/Atom">
  <xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat"/>
  <xsl:template match="/atom:feed">
    <html lang="en" class="govuk-template">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="atom:title"/> (Atom feed)</title>
        <link rel="stylesheet" href="/assets/govuk-frontend.min.css"/>
      </head>
      <body class="govuk-template__body">
        <div class="govuk-width-container">
          <main class="govuk-main-wrapper" id="main-content">
            <span class="govuk-caption-l">Atom feed</span>
            <h1 class="govuk-heading-l"><xsl:value-of select="atom:title"/></h1>
            <div class="govuk-inset-text">
              <p class="govuk-body">This is a feed: copy this page's web address into a feed reader to hear when we
                publish a decision or an update. <a class="govuk-link" href="/data#feeds">What feeds are and how to use them</a>.</p>
              <p class="govuk-body"><a class="govuk-link" href="{atom:link[@rel='alternate']/@href}">See these decisions on our website</a></p>
            </div>
            <xsl:if test="not(atom:entry)">
              <p class="govuk-body">Nothing has been published here yet.</p>
            </xsl:if>
            <xsl:for-each select="atom:entry">
              <div class="govuk-!-margin-bottom-6">
                <h2 class="govuk-heading-m"><a class="govuk-link" href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h2>
                <p class="govuk-body-s">Published <xsl:value-of select="substring(atom:updated, 1, 10)"/></p>
                <p class="govuk-body"><xsl:value-of select="atom:summary"/></p>
              </div>
            </xsl:for-each>
          </main>
        </div>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
